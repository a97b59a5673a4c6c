import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ClipTokenizer, normalizeClipText } from '../../../../src/handlers/sdxl/clip-tokenizer.js';

/**
 * A tiny CLIP-style vocab (256 byte symbols, 256 `</w>` symbols, 26 merges, BOS 538, EOS 539,
 * "!" = 0 as in CLIP) in test/fixtures/sdxl-clip. The expected ids were produced by
 * transformers' CLIPTokenizer (no ftfy) on these files: bench/sdxl/torch-reference.py, stored in
 * torch-reference.json.
 */
const dir = join(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/sdxl-clip');
const vocab = JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) as Record<string, number>;
const merges = readFileSync(join(dir, 'merges.txt'), 'utf8');
const reference = JSON.parse(readFileSync(join(dir, 'torch-reference.json'), 'utf8')) as {
  tok: { prompt: string; t1: number[]; t2: number[] }[];
};
const tok1 = new ClipTokenizer({ vocab, merges });
const tok2 = new ClipTokenizer({ vocab, merges, padToken: '!' });

describe('ClipTokenizer', () => {
  it('"a photo of a cat": BOS, merged words, EOS, pads 539 (tokenizer) / 0 (tokenizer_2)', () => {
    // Hand check: "a" has no merge → "a</w>" = 64 + 256 = 320; "photo" → p h o t o → ph, ot → phot
    // → "photo</w>" (merge 5, id 512 + 5 = 517); "of</w>" = 518; "cat</w>" = 513.
    const ids = Array.from(tok1.encode('a photo of a cat'));
    expect(ids.slice(0, 8)).toEqual([538, 320, 517, 518, 320, 513, 539, 539]);
    expect(ids).toHaveLength(77);
    const ids2 = Array.from(tok2.encode('a photo of a cat'));
    expect(ids2.slice(0, 8)).toEqual([538, 320, 517, 518, 320, 513, 539, 0]);
    expect(ids2.slice(7).every((v) => v === 0)).toBe(true);
  });

  it('lowercases and collapses whitespace', () => {
    expect(normalizeClipText('A PHOTO   of\ta Cat')).toBe('a photo of a cat');
    expect(Array.from(tok1.encode('A PHOTO   of\ta Cat'))).toEqual(Array.from(tok1.encode('a photo of a cat')));
  });

  it('punctuation: "!" is its own token on tokenizer, and id 0 (a special) on tokenizer_2', () => {
    const t1 = Array.from(tok1.tokenize('cats! hello, world!!'));
    // "!" alone = 0 + 256 ("!</w>"), "," = 11 + 256, "!!" → merge "!!</w>" = 537.
    expect(t1).toEqual([528, 256, 522, 267, 526, 537]);
    expect(Array.from(tok2.tokenize('cats! hello, world!!'))).toEqual([528, 0, 522, 267, 526, 0, 0]);
  });

  it('unicode: UTF-8 bytes through the byte table; digits one by one', () => {
    // The regex splits "don't" into "don" and "'t" → 530 ("don</w>"), 531 ("'t</w>");
    // "café" → caf + "é</w>" merge (534); "2024" → "2</w>" = 256 + 17 = 273, "0</w>" = 271, …
    expect(tok1.tokenize("don't  café 2024")).toEqual([530, 531, 534, 273, 271, 273, 275]);
    // 日 = E6 97 A5: æ (162), byte 0x97 → U+0119 (188 + 57 = 245), ¥ (98); 本 ends with ¬</w> (256 + 105).
    expect(tok1.tokenize('日本 cat')).toEqual([162, 245, 98, 162, 250, 361, 513]);
  });

  it('slow normalisation (transformers 4 without ftfy) spaces CJK ideographs and drops controls', () => {
    expect(normalizeClipText('日本\u0007Cat', 'slow')).toBe('日 本 cat');
    const slow = new ClipTokenizer({ vocab, merges, normalization: 'slow' });
    expect(slow.tokenize('日本')).toEqual([162, 245, 98 + 256, 162, 250, 361]);
  });

  it('truncates content to 75 ids and always ends with EOS', () => {
    const ids = Array.from(tok1.encode(`the cat${' the'.repeat(80)}`));
    expect(ids).toHaveLength(77);
    expect(ids[0]).toBe(538);
    expect(ids[76]).toBe(539);
    expect(ids.slice(1, 76).filter((v) => v === 536)).toHaveLength(74);
  });

  it('matches transformers CLIPTokenizer ids for every reference prompt', () => {
    expect(reference.tok.length).toBeGreaterThanOrEqual(8);
    for (const r of reference.tok) {
      expect(Array.from(tok1.encode(r.prompt)), r.prompt).toEqual(r.t1);
      expect(Array.from(tok2.encode(r.prompt)), r.prompt).toEqual(r.t2);
    }
  });
});
