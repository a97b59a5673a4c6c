/**
 * Prompt conditioning (§3.2–3.3): CLIP-L `hidden_states.(L−1)` joined with bigG's penultimate
 * hidden state on the base, bigG only on the refiner; bigG's projected `text_embeds` as the
 * pooled vector; zero or encoded negatives.
 */

import type { ClipTokenizer } from './clip-tokenizer.js';
import { idsTensor, readFloat, type ModelSession } from './onnx-session.js';

/** The penultimate hidden-state output: `hidden_states.(L−1)`, else the highest index − 1. */
export function penultimateOutput(session: ModelSession, numHiddenLayers: number | undefined): string {
  if (numHiddenLayers !== undefined && session.hasOutput(`hidden_states.${numHiddenLayers - 1}`)) {
    return `hidden_states.${numHiddenLayers - 1}`;
  }
  let max = -1;
  for (const name of session.outputs.keys()) {
    const m = /^hidden_states\.(\d+)$/.exec(name);
    if (m) max = Math.max(max, Number(m[1]));
  }
  if (max >= 1) return `hidden_states.${max - 1}`;
  throw new Error(`${session.component}: no hidden_states.* outputs (export with output_hidden_states)`);
}

export interface Encoded {
  /** [count, seqLen, dim] */
  hidden: Float32Array;
  dim: number;
  /** [count, pooledDim] (text_encoder_2 only). */
  pooled: Float32Array | undefined;
  pooledDim: number;
}

export class ClipTextEncoder {
  readonly session: ModelSession;
  readonly tokenizer: ClipTokenizer;
  readonly hiddenOutput: string;
  readonly pooledOutput: string | undefined;
  readonly #batchOne: boolean;

  constructor(session: ModelSession, tokenizer: ClipTokenizer, numHiddenLayers: number | undefined) {
    this.session = session;
    this.tokenizer = tokenizer;
    this.hiddenOutput = penultimateOutput(session, numHiddenLayers);
    this.pooledOutput = session.hasOutput('text_embeds') ? 'text_embeds' : undefined;
    this.#batchOne = session.input('input_ids').shape[0] === 1;
  }

  /** Encodes prompts in one run (one per prompt when the graph's batch is fixed to 1). */
  async encode(prompts: readonly string[]): Promise<Encoded> {
    if (this.#batchOne && prompts.length > 1) {
      const parts = [];
      for (const p of prompts) parts.push(await this.#run([p]));
      return concatEncoded(parts);
    }
    return this.#run(prompts);
  }

  async #run(prompts: readonly string[]): Promise<Encoded> {
    const len = this.tokenizer.maxLength;
    const ids = new Int32Array(prompts.length * len);
    prompts.forEach((p, i) => ids.set(this.tokenizer.encode(p), i * len));
    const input = this.session.input('input_ids');
    const fetches = this.pooledOutput ? [this.hiddenOutput, this.pooledOutput] : [this.hiddenOutput];
    const out = await this.session.run({ input_ids: idsTensor(input.type, ids, [prompts.length, len]) }, fetches);
    const hiddenT = out[this.hiddenOutput];
    if (!hiddenT) throw new Error(`${this.session.component}: missing output ${this.hiddenOutput}`);
    const hidden = Float32Array.from(readFloat(hiddenT));
    const dim = Number(hiddenT.dims[2]);
    const pooledT = this.pooledOutput ? out[this.pooledOutput] : undefined;
    const pooled = pooledT ? Float32Array.from(readFloat(pooledT)) : undefined;
    return { hidden, dim, pooled, pooledDim: pooledT ? Number(pooledT.dims[1]) : 0 };
  }
}

function concatEncoded(parts: Encoded[]): Encoded {
  const first = parts[0] as Encoded;
  const hidden = new Float32Array(parts.reduce((a, p) => a + p.hidden.length, 0));
  let o = 0;
  for (const p of parts) {
    hidden.set(p.hidden, o);
    o += p.hidden.length;
  }
  let pooled: Float32Array | undefined;
  if (first.pooled) {
    pooled = new Float32Array(parts.length * first.pooledDim);
    parts.forEach((p, i) => pooled?.set(p.pooled as Float32Array, i * first.pooledDim));
  }
  return { hidden, dim: first.dim, pooled, pooledDim: first.pooledDim };
}

/** Prompt embeddings for one stage: [count, seqLen, dim] and pooled [count, pooledDim]. */
export interface StageEmbeddings {
  embeds: Float32Array;
  pooled: Float32Array;
  seqLen: number;
  dim: number;
  pooledDim: number;
}

export interface PromptPair {
  /** Text for text_encoder (CLIP-L). */
  text1: string;
  /** Text for text_encoder_2 (bigG). */
  text2: string;
}

/**
 * Encodes prompts for a stage. Base (te1 present): concat(te1 hidden, te2 hidden) on the last
 * axis; refiner: te2 hidden only. `zeroRows[i]` gives row i all-zero embeddings (the base's
 * `force_zeros_for_empty_prompt` for a null negative prompt); those rows are not encoded.
 */
export async function encodeStage(
  te1: ClipTextEncoder | undefined,
  te2: ClipTextEncoder,
  prompts: readonly PromptPair[],
  zeroRows?: readonly boolean[],
  like?: StageEmbeddings,
): Promise<StageEmbeddings> {
  const seqLen = te2.tokenizer.maxLength;
  const live = prompts.map((_, i) => i).filter((i) => !zeroRows?.[i]);
  if (live.length === 0) {
    // Every row is zeros: take the dims from `like` (the positive embeddings), else encode "" once.
    const ref = like ?? (await encodeStage(te1, te2, [{ text1: '', text2: '' }]));
    return { ...ref, embeds: new Float32Array(prompts.length * seqLen * ref.dim), pooled: new Float32Array(prompts.length * ref.pooledDim) };
  }
  const e2 = await te2.encode(live.map((i) => (prompts[i] as PromptPair).text2));
  const e1 = te1 ? await te1.encode(live.map((i) => (prompts[i] as PromptPair).text1)) : undefined;
  if (!e2.pooled) throw new Error(`${te2.session.component}: no text_embeds output (the pooled embedding)`);
  const d1 = e1?.dim ?? 0;
  const d2 = e2.dim;
  const dim = d1 + d2;
  const pooledDim = e2.pooledDim;
  const embeds = new Float32Array(prompts.length * seqLen * dim);
  const pooled = new Float32Array(prompts.length * pooledDim);
  live.forEach((row, j) => {
    for (let s = 0; s < seqLen; s++) {
      const dst = (row * seqLen + s) * dim;
      if (e1) embeds.set(e1.hidden.subarray((j * seqLen + s) * d1, (j * seqLen + s + 1) * d1), dst);
      embeds.set(e2.hidden.subarray((j * seqLen + s) * d2, (j * seqLen + s + 1) * d2), dst + d1);
    }
    pooled.set((e2.pooled as Float32Array).subarray(j * pooledDim, (j + 1) * pooledDim), row * pooledDim);
  });
  return { embeds, pooled, seqLen, dim, pooledDim };
}
