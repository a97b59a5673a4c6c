/**
 * A small generated CLIP BPE vocabulary in the exact file format of CLIP's `vocab.json` +
 * `merges.txt` (sdxl.md §3.1): ids 0–255 are GPT-2's byte characters, 256–511 the same with
 * `</w>`, then one token per merge (in merge order), learnt deterministically from a built-in
 * word list, and the specials `<|startoftext|>` = 49406 and `<|endoftext|>` = 49407. Ids between
 * the last merge and 49406 are unused; the text encoders' embedding tables keep CLIP's 49408 rows,
 * so every id a CLIP tokenizer can emit indexes a real row. Words of the list become one token;
 * any other text still tokenizes (down to single bytes).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const BOS_ID = 49406;
export const EOS_ID = 49407;
export const BOS_TOKEN = '<|startoftext|>';
export const EOS_TOKEN = '<|endoftext|>';
export const END_OF_WORD = '</w>';

/** Words the merges are learnt from, most frequent first (a prompt-flavoured word list). */
const WORDS = `a the of and in with on photo painting portrait cat dog an astronaut riding horse
of by at to beautiful detailed high quality art digital landscape mountain sunset city night light
style oil water tree forest river sky cloud blue red green white black golden girl man woman
old young house street car flower garden sea beach ocean moon star space planet futuristic robot
fantasy castle dragon squirrel eating burger realistic cinematic lighting sharp focus highly
trending artstation concept illustration studio render unreal engine 8k hd masterpiece best
picture image view close up from above under over small large big little happy colorful dark
bright snow winter summer spring autumn rain fog glass metal wooden stone sitting standing
walking running flying wearing holding looking background foreground`;

export interface ClipVocabFiles {
  vocab: Record<string, number>;
  merges: string[];
}

/** GPT-2 / CLIP `bytes_to_unicode`: printable bytes map to themselves, the other 68 to 256+. */
export function bytesToUnicode(): string[] {
  const table = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    table[b] = String.fromCodePoint(printable ? b : 256 + extra++);
  }
  return table;
}

/** The byte characters in CLIP's vocab order (printable ranges first, then the remapped bytes). */
function byteVocabOrder(): string[] {
  const table = bytesToUnicode();
  const printable: string[] = [];
  const rest: string[] = [];
  table.forEach((ch, b) => ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255) ? printable : rest).push(ch));
  return [...printable, ...rest];
}

/** Learns `maxMerges` BPE merges (most frequent pair first, ties by pair text) and builds the vocab. */
export function generateClipVocab(maxMerges = 2000): ClipVocabFiles {
  const words = WORDS.split(/\s+/).filter(Boolean);
  const freq = new Map<string, number>();
  words.forEach((w, i) => freq.set(w, (freq.get(w) ?? 0) + (words.length - i)));
  const enc = bytesToUnicode();
  let corpus = [...freq].map(([w, n]) => {
    const chars = [...Buffer.from(w, 'utf8')].map((byte) => enc[byte]!);
    chars[chars.length - 1] += END_OF_WORD;
    return { symbols: chars, n };
  });

  const vocab: Record<string, number> = {};
  const base = byteVocabOrder();
  base.forEach((ch, i) => (vocab[ch] = i));
  base.forEach((ch, i) => (vocab[ch + END_OF_WORD] = 256 + i));
  const merges: string[] = [];
  while (merges.length < maxMerges) {
    const pairs = new Map<string, number>();
    for (const { symbols, n } of corpus)
      for (let i = 0; i < symbols.length - 1; i++) {
        const key = `${symbols[i]} ${symbols[i + 1]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + n);
      }
    let best: string | undefined;
    let bestCount = 0;
    for (const [key, count] of pairs)
      if (count > bestCount || (count === bestCount && best !== undefined && key < best)) [best, bestCount] = [key, count];
    if (best === undefined) break;
    const [left, right] = best.split(' ') as [string, string];
    const token = left + right;
    merges.push(best);
    vocab[token] ??= 512 + merges.length - 1;
    corpus = corpus.map(({ symbols, n }) => ({ symbols: mergePair(symbols, left, right), n }));
  }
  if (512 + merges.length > BOS_ID) throw new Error('generated vocab collides with the special ids');
  vocab[BOS_TOKEN] = BOS_ID;
  vocab[EOS_TOKEN] = EOS_ID;
  return { vocab, merges };
}

function mergePair(symbols: string[], left: string, right: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (i < symbols.length - 1 && symbols[i] === left && symbols[i + 1] === right) {
      out.push(left + right);
      i++;
    } else out.push(symbols[i]!);
  }
  return out;
}

const added = (content: string): Record<string, unknown> => ({
  content,
  lstrip: false,
  normalized: true,
  rstrip: false,
  single_word: false,
});

/**
 * Writes vocab.json, merges.txt, special_tokens_map.json and tokenizer_config.json into `dir`.
 * `padToken`: `<|endoftext|>` for `tokenizer` (CLIP-L), `!` for `tokenizer_2` (bigG).
 */
export function writeClipTokenizer(dir: string, padToken: string, files: ClipVocabFiles = generateClipVocab()): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify(files.vocab));
  writeFileSync(join(dir, 'merges.txt'), `#version: 0.2\n${files.merges.join('\n')}\n`);
  const pad = padToken === EOS_TOKEN ? added(EOS_TOKEN) : padToken;
  writeFileSync(
    join(dir, 'special_tokens_map.json'),
    JSON.stringify({ bos_token: added(BOS_TOKEN), eos_token: added(EOS_TOKEN), pad_token: pad, unk_token: added(EOS_TOKEN) }, null, 2),
  );
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify(
      {
        add_prefix_space: false,
        bos_token: BOS_TOKEN,
        clean_up_tokenization_spaces: true,
        do_lower_case: true,
        eos_token: EOS_TOKEN,
        errors: 'replace',
        model_max_length: 77,
        pad_token: padToken,
        tokenizer_class: 'CLIPTokenizer',
        unk_token: EOS_TOKEN,
      },
      null,
      2,
    ),
  );
}
