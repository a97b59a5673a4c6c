/**
 * CLIP byte-level BPE tokenizer, behaving as transformers' slow `CLIPTokenizer` without ftfy
 * (what diffusers uses for SDXL). Pure: takes the parsed vocab.json and merges.txt.
 *
 * Steps: split out special tokens (BOS, EOS and the pad token; for tokenizer_2 the pad token is
 * "!", so every "!" becomes id 0 as in diffusers), normalise (drop control characters, map
 * whitespace to spaces, space around CJK ideographs, NFC, collapse whitespace, lowercase),
 * pre-tokenise with CLIP's regex, byte-encode, BPE with `</w>`, then BOS + ≤75 ids + EOS + pads.
 */

export const CLIP_MAX_LENGTH = 77;
const BOS_TOKEN = '<|startoftext|>';
const EOS_TOKEN = '<|endoftext|>';
/** merges.txt lines that count, after the `#version` header (49152 − 256 − 2). */
const MAX_MERGES = 48_894;
const PRE_TOKENIZE = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

export interface ClipTokenizerOptions {
  /** vocab.json: token → id. */
  vocab: Record<string, number>;
  /** merges.txt content (with or without its `#version` header line). */
  merges: string;
  /** Pad token text (tokenizer: `<|endoftext|>`; tokenizer_2: `!`). */
  padToken?: string;
  /** Sequence length including BOS/EOS (77). */
  maxLength?: number;
  /**
   * Treat the pad token as a special token inside prompts (transformers' behaviour, so "!"
   * maps to id 0 on tokenizer_2: diffusers issue #4153). Default true for diffusers parity.
   */
  splitPadToken?: boolean;
  /** See {@link normalizeClipText}; default `fast` (what transformers 5 produces). */
  normalization?: 'fast' | 'slow';
}

/** GPT-2's byte → printable unicode character table. */
function bytesToUnicode(): string[] {
  const table: string[] = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    table[b] = String.fromCodePoint(printable ? b : 256 + extra++);
  }
  return table;
}

function isControl(cp: number): boolean {
  if (cp === 0x09 || cp === 0x0a || cp === 0x0d) return false;
  return /\p{C}/u.test(String.fromCodePoint(cp));
}

function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/**
 * Normalisation of transformers' CLIP tokenizer. `fast` (transformers ≥ 5, and every fast
 * tokenizer): NFC, whitespace runs → " ", lowercase. `slow` (transformers 4 slow class without
 * ftfy): BasicTokenizer(strip_accents=False) — also drops control characters and puts spaces
 * around CJK ideographs. Both agree on ordinary text.
 */
export function normalizeClipText(text: string, mode: 'fast' | 'slow' = 'fast'): string {
  if (mode === 'fast') return text.normalize('NFC').replace(/\s+/gu, ' ').toLowerCase();
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp === 0 || cp === 0xfffd || isControl(cp)) continue;
    if (/\s/u.test(ch)) out += ' ';
    else if (isCjk(cp)) out += ` ${ch} `;
    else out += ch;
  }
  return out
    .normalize('NFC')
    .split(/\s+/u)
    .filter((w) => w.length > 0)
    .map((w) => w.toLowerCase())
    .join(' ');
}

export class ClipTokenizer {
  readonly maxLength: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly #vocab: Map<string, number>;
  readonly #ranks = new Map<string, number>();
  readonly #specials: Map<string, number>;
  readonly #byteTable = bytesToUnicode();
  readonly #cache = new Map<string, string[]>();
  readonly #unkId: number;
  readonly #normalization: 'fast' | 'slow';

  constructor(options: ClipTokenizerOptions) {
    this.#vocab = new Map(Object.entries(options.vocab));
    this.maxLength = options.maxLength ?? CLIP_MAX_LENGTH;
    this.#normalization = options.normalization ?? 'fast';
    const lines = options.merges.split(/\r?\n/);
    const start = lines[0]?.startsWith('#version') ? 1 : 0;
    const end = Math.min(lines.length, start + MAX_MERGES);
    for (let i = start; i < end; i++) {
      const line = lines[i]?.trim();
      if (!line) continue;
      const parts = line.split(' ');
      if (parts.length !== 2) continue;
      const key = `${parts[0]} ${parts[1]}`;
      if (!this.#ranks.has(key)) this.#ranks.set(key, i - start);
    }
    const id = (token: string): number => {
      const v = this.#vocab.get(token);
      if (v === undefined) throw new Error(`CLIP vocab has no ${JSON.stringify(token)}`);
      return v;
    };
    this.bosId = id(BOS_TOKEN);
    this.eosId = id(EOS_TOKEN);
    this.#unkId = this.eosId;
    const padToken = options.padToken ?? EOS_TOKEN;
    this.padId = id(padToken);
    this.#specials = new Map([
      [BOS_TOKEN, this.bosId],
      [EOS_TOKEN, this.eosId],
    ]);
    if (options.splitPadToken ?? true) this.#specials.set(padToken, this.padId);
  }

  /** Content ids of `text` (no BOS/EOS, no truncation). */
  tokenize(text: string): number[] {
    const ids: number[] = [];
    for (const piece of this.#splitSpecials(text)) {
      if (typeof piece === 'number') {
        ids.push(piece);
        continue;
      }
      const normalized = normalizeClipText(piece, this.#normalization);
      for (const match of normalized.matchAll(PRE_TOKENIZE)) {
        const word = Array.from(Buffer.from(match[0], 'utf8'), (b) => this.#byteTable[b] ?? '').join('');
        for (const sym of this.#bpe(word)) ids.push(this.#vocab.get(sym) ?? this.#unkId);
      }
    }
    return ids;
  }

  /** BOS + content (truncated to maxLength − 2) + EOS, padded with the pad id to maxLength. */
  encode(text: string): Int32Array {
    const content = this.tokenize(text).slice(0, this.maxLength - 2);
    const out = new Int32Array(this.maxLength).fill(this.padId);
    out[0] = this.bosId;
    out.set(content, 1);
    out[content.length + 1] = this.eosId;
    return out;
  }

  /** Splits on literal special tokens (longest first, left to right), as transformers' trie does. */
  #splitSpecials(text: string): (string | number)[] {
    const tokens = [...this.#specials.keys()].sort((a, b) => b.length - a.length);
    const out: (string | number)[] = [];
    let rest = '';
    let i = 0;
    outer: while (i < text.length) {
      for (const tok of tokens) {
        if (text.startsWith(tok, i)) {
          if (rest) out.push(rest);
          rest = '';
          out.push(this.#specials.get(tok) as number);
          i += tok.length;
          continue outer;
        }
      }
      rest += text[i];
      i++;
    }
    if (rest) out.push(rest);
    return out;
  }

  #bpe(token: string): string[] {
    const cached = this.#cache.get(token);
    if (cached) return cached;
    const chars = Array.from(token);
    let word = chars.slice(0, -1);
    word.push(`${chars[chars.length - 1] ?? ''}</w>`);
    while (word.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let k = 0; k < word.length - 1; k++) {
        const rank = this.#ranks.get(`${word[k]} ${word[k + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = k;
        }
      }
      if (best < 0) break;
      const first = word[best] as string;
      const second = word[best + 1] as string;
      const merged: string[] = [];
      for (let k = 0; k < word.length; ) {
        if (k < word.length - 1 && word[k] === first && word[k + 1] === second) {
          merged.push(first + second);
          k += 2;
        } else {
          merged.push(word[k] as string);
          k++;
        }
      }
      word = merged;
    }
    if (this.#cache.size < 10_000) this.#cache.set(token, word);
    return word;
  }
}
