/**
 * The synthetic SDXL pipeline at tiny scale: layout, tensor I/O of sdxl.md §2, finite outputs,
 * and that the project's own SDXL loader and tokenizer read it.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClipTokenizer, readPipelineLayout } from '../../../../src/handlers/sdxl/pipeline-layout.js';
import { onnx } from '../../../../src/tools/onnx/dtypes.js';
import { buildSdxlPipeline, type BuiltSdxlPipeline } from '../../../../src/tools/sdxl/build-pipeline.js';
import { tinyConfig } from '../../../../src/tools/sdxl/configs.js';

const tmp = mkdtempSync(join(tmpdir(), 'nserve-sdxl-tiny-'));
const cfg = tinyConfig();
let base: BuiltSdxlPipeline;
let refiner: BuiltSdxlPipeline;
const sessions: ort.InferenceSession[] = [];

beforeAll(() => {
  base = buildSdxlPipeline(join(tmp, 'base'), { scale: 'tiny', seed: 0 });
  refiner = buildSdxlPipeline(join(tmp, 'refiner'), { scale: 'tiny', seed: 0, refiner: true });
});
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.release()));
  rmSync(tmp, { recursive: true, force: true });
});

async function open(dir: string, graph: string): Promise<ort.InferenceSession> {
  const s = await ort.InferenceSession.create(join(dir, graph, 'model.onnx'), { intraOpNumThreads: 1 });
  sessions.push(s);
  return s;
}

const json = (p: string): Record<string, unknown> => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
const rand = (n: number, seed = 1): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.9);
const f32 = (data: Float32Array, dims: number[]): ort.Tensor => new ort.Tensor('float32', data, dims);
function expectFinite(t: ort.Tensor): void {
  const bad = Array.from(t.data as Float32Array).filter((v) => !Number.isFinite(v)).length;
  expect(bad).toBe(0);
}
const meta = (s: ort.InferenceSession, which: 'in' | 'out') =>
  (which === 'in' ? s.inputMetadata : s.outputMetadata).map((m) => ({ name: m.name, type: (m as { type?: string }).type, shape: (m as { shape?: unknown }).shape }));

describe('synthetic SDXL base (tiny)', () => {
  it('has the optimum layout and configs a pipeline derives its dims from', () => {
    const dir = base.dir;
    for (const f of ['model_index.json', 'scheduler/scheduler_config.json', 'unet/model.onnx', 'unet/model.onnx_data', 'unet/config.json', 'vae_decoder/model.onnx', 'vae_decoder/config.json', 'text_encoder/model.onnx', 'text_encoder/config.json', 'text_encoder_2/model.onnx', 'text_encoder_2/config.json'])
      expect(existsSync(join(dir, f)), f).toBe(true);
    for (const t of ['tokenizer', 'tokenizer_2']) expect(readdirSync(join(dir, t)).sort()).toEqual(['merges.txt', 'special_tokens_map.json', 'tokenizer_config.json', 'vocab.json']);
    expect(json(join(dir, 'model_index.json'))).toMatchObject({ _class_name: 'StableDiffusionXLPipeline', force_zeros_for_empty_prompt: true });
    expect(json(join(dir, 'scheduler/scheduler_config.json'))).toMatchObject({ _class_name: 'EulerDiscreteScheduler', beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', timestep_spacing: 'leading', steps_offset: 1, prediction_type: 'epsilon', num_train_timesteps: 1000 });
    const unet = json(join(dir, 'unet/config.json'));
    const te1 = json(join(dir, 'text_encoder/config.json'));
    const te2 = json(join(dir, 'text_encoder_2/config.json'));
    expect(unet.cross_attention_dim).toBe((te1.hidden_size as number) + (te2.hidden_size as number));
    expect(unet.projection_class_embeddings_input_dim).toBe(6 * (unet.addition_time_embed_dim as number) + (te2.projection_dim as number));
    expect(json(join(dir, 'vae_decoder/config.json'))).toMatchObject({ scaling_factor: 0.13025, force_upcast: true });

    const layout = readPipelineLayout(dir);
    expect(layout).toMatchObject({ kind: 'base', timeIdsLength: 6, vaeScaleFactor: 8, sampleSize: 8, forceZerosForEmptyPrompt: true });
    expect(layout.textEncoder).toMatchObject({ numHiddenLayers: 3, hiddenSize: 32 });
  });

  it('tokenizer files follow CLIP conventions and tokenize through the SDXL tokenizer', () => {
    const vocab = json(join(base.dir, 'tokenizer', 'vocab.json')) as Record<string, number>;
    expect(vocab['<|startoftext|>']).toBe(49406);
    expect(vocab['<|endoftext|>']).toBe(49407);
    expect(vocab['!']).toBe(0);
    expect(vocab['a</w>']).toBe(320); // byte symbols sit where CLIP has them
    const ids = new Set(Object.values(vocab));
    expect(ids.size).toBe(Object.keys(vocab).length);
    for (let i = 0; i < 512; i++) expect(ids.has(i)).toBe(true);
    const merges = readFileSync(join(base.dir, 'tokenizer', 'merges.txt'), 'utf8').trimEnd().split('\n');
    expect(merges[0]).toBe('#version: 0.2');
    for (const line of merges.slice(1)) {
      const parts = line.split(' ');
      expect(parts).toHaveLength(2);
      expect(vocab[parts.join('')], line).toBeGreaterThanOrEqual(512);
    }

    const tok1 = loadClipTokenizer(join(base.dir, 'tokenizer'), '<|endoftext|>');
    const tok2 = loadClipTokenizer(join(base.dir, 'tokenizer_2'), '!');
    const e1 = Array.from(tok1.encode('a photo of a cat'));
    const e2 = Array.from(tok2.encode('a photo of a cat!'));
    expect(e1.slice(0, 7)).toEqual([49406, 320, vocab['photo</w>'], vocab['of</w>'], 320, vocab['cat</w>'], 49407]);
    expect(e1.slice(7)).toEqual(new Array(70).fill(49407));
    expect(e2.slice(0, 8)).toEqual([49406, 320, vocab['photo</w>'], vocab['of</w>'], 320, vocab['cat</w>'], 0, 49407]);
    expect(e2.slice(8)).toEqual(new Array(69).fill(0));
  });

  it('text_encoder: int64 input_ids -> last_hidden_state, pooler_output, hidden_states.0..L (pooled at the first EOS)', async () => {
    const s = await open(base.dir, 'text_encoder');
    const D = cfg.textEncoder.hiddenSize;
    expect(meta(s, 'in')).toEqual([{ name: 'input_ids', type: 'int64', shape: ['batch_size', 'sequence_length'] }]);
    expect(s.outputNames).toEqual(['last_hidden_state', 'pooler_output', 'hidden_states.0', 'hidden_states.1', 'hidden_states.2', 'hidden_states.3']);
    const tok = loadClipTokenizer(join(base.dir, 'tokenizer'), '<|endoftext|>');
    const ids = BigInt64Array.from([...tok.encode('a photo of a cat'), ...tok.encode('astronaut riding a horse on the moon')], BigInt);
    const out = await s.run({ input_ids: new ort.Tensor('int64', ids, [2, 77]) });
    for (const name of s.outputNames) expectFinite(out[name]!);
    expect(out.last_hidden_state!.dims).toEqual([2, 77, D]);
    expect(out['hidden_states.2']!.dims).toEqual([2, 77, D]);
    expect(out.pooler_output!.dims).toEqual([2, D]);
    const last = out.last_hidden_state!.data as Float32Array;
    const pooled = out.pooler_output!.data as Float32Array;
    const eos = [6, 8]; // BOS + 5 / 7 tokens
    for (let b = 0; b < 2; b++) expect(Array.from(pooled.slice(b * D, (b + 1) * D))).toEqual(Array.from(last.slice((b * 77 + eos[b]!) * D, (b * 77 + eos[b]! + 1) * D)));
  });

  it('text_encoder_2: text_embeds first, causal attention (later tokens never change earlier states)', async () => {
    const s = await open(base.dir, 'text_encoder_2');
    const { hiddenSize: D, projectionDim: P } = cfg.textEncoder2;
    expect(s.outputNames.slice(0, 3)).toEqual(['text_embeds', 'last_hidden_state', 'hidden_states.0']);
    expect(s.outputNames).toContain(`hidden_states.${cfg.textEncoder2.numHiddenLayers}`);
    // optimum declares text_embeds [batch_size, sequence_length] (§2.2); the file keeps that
    // declaration, onnxruntime reports the inferred width instead.
    const declared = onnx.ModelProto.decode(readFileSync(join(base.dir, 'text_encoder_2/model.onnx'))).graph!.output[0]!;
    expect(declared.type!.tensorType!.shape!.dim!.map((d) => d.dimParam)).toEqual(['batch_size', 'sequence_length']);
    expect(meta(s, 'out')[0]).toMatchObject({ name: 'text_embeds', type: 'float32' });
    const a = new BigInt64Array(77).fill(0n);
    a.set([49406n, 320n, 700n, 49407n]);
    const b = a.slice();
    b[2] = 701n;
    const out = await s.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from([...a, ...b]), [2, 77]) });
    expect(out.text_embeds!.dims).toEqual([2, P]);
    expectFinite(out.text_embeds!);
    const hs = out[`hidden_states.${cfg.textEncoder2.numHiddenLayers - 1}`]!.data as Float32Array;
    const row = (bi: number, pos: number): number[] => Array.from(hs.slice((bi * 77 + pos) * D, (bi * 77 + pos + 1) * D));
    expect(row(1, 1)).toEqual(row(0, 1)); // position 1 sees only BOS and itself
    expect(row(1, 2)).not.toEqual(row(0, 2));
  });

  it('unet: §2.3 names, 0-d float timestep, independent batch rows, dynamic latent size', async () => {
    const s = await open(base.dir, 'unet');
    const u = cfg.unet;
    expect(meta(s, 'in')).toEqual([
      { name: 'sample', type: 'float32', shape: ['batch_size', 4, 'height', 'width'] },
      { name: 'timestep', type: 'float32', shape: [] },
      { name: 'encoder_hidden_states', type: 'float32', shape: ['batch_size', 'sequence_length', u.crossAttentionDim] },
      { name: 'text_embeds', type: 'float32', shape: ['batch_size', cfg.textEncoder2.projectionDim] },
      { name: 'time_ids', type: 'float32', shape: ['batch_size', 6] },
    ]);
    expect(meta(s, 'out')).toEqual([{ name: 'out_sample', type: 'float32', shape: ['batch_size', 4, 'height', 'width'] }]);
    const feeds = (B: number, L: number, t: number): Record<string, ort.Tensor> => ({
      sample: f32(rand(B * 4 * L * L), [B, 4, L, L]),
      timestep: f32(new Float32Array([t]), []),
      encoder_hidden_states: f32(rand(B * 77 * u.crossAttentionDim, 2), [B, 77, u.crossAttentionDim]),
      text_embeds: f32(rand(B * 32, 3), [B, 32]),
      time_ids: f32(Float32Array.from({ length: B * 6 }, (_, i) => [64, 64, 0, 0, 64, 64][i % 6]!), [B, 6]),
    });
    const two = await s.run(feeds(2, 8, 958));
    expect(two.out_sample!.dims).toEqual([2, 4, 8, 8]);
    expectFinite(two.out_sample!);
    const one = await s.run(feeds(1, 8, 958));
    const first = Array.from((two.out_sample!.data as Float32Array).slice(0, 256));
    Array.from(one.out_sample!.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(first[i]!, 4));
    const later = await s.run(feeds(1, 8, 1));
    expect(Array.from(later.out_sample!.data as Float32Array)).not.toEqual(Array.from(one.out_sample!.data as Float32Array));
    const big = await s.run(feeds(1, 16, 500));
    expect(big.out_sample!.dims).toEqual([1, 4, 16, 16]);
    expectFinite(big.out_sample!);
  });

  it('vae_decoder: latent_sample [B,4,h,w] -> sample [B,3,8h,8w]', async () => {
    const s = await open(base.dir, 'vae_decoder');
    expect(meta(s, 'in')[0]).toMatchObject({ name: 'latent_sample', type: 'float32' });
    expect(s.outputNames).toEqual(['sample']);
    const out = await s.run({ latent_sample: f32(rand(4 * 64).map((v) => v / 0.13025), [1, 4, 8, 8]) });
    expect(out.sample!.dims).toEqual([1, 3, 64, 64]);
    expectFinite(out.sample!);
  });

  it('is deterministic: same seed, same weight bytes', () => {
    const again = buildSdxlPipeline(join(tmp, 'again'), { scale: 'tiny', seed: 0, graphs: ['unet'] });
    expect(again.components.map((c) => c.name)).toEqual(['unet']);
    expect(readFileSync(join(again.dir, 'unet/model.onnx_data')).equals(readFileSync(join(base.dir, 'unet/model.onnx_data')))).toBe(true);
    expect(readFileSync(join(again.dir, 'unet/model.onnx')).equals(readFileSync(join(base.dir, 'unet/model.onnx')))).toBe(true);
  });
});

describe('synthetic SDXL refiner (tiny)', () => {
  it('has text_encoder_2 only, refiner model_index, and the base encoder weights', () => {
    const dir = refiner.dir;
    expect(existsSync(join(dir, 'text_encoder'))).toBe(false);
    expect(existsSync(join(dir, 'tokenizer'))).toBe(false);
    expect(json(join(dir, 'model_index.json'))).toMatchObject({
      _class_name: 'StableDiffusionXLImg2ImgPipeline',
      requires_aesthetics_score: true,
      force_zeros_for_empty_prompt: false,
      text_encoder: [null, null],
    });
    expect(readFileSync(join(dir, 'text_encoder_2/model.onnx')).equals(readFileSync(join(base.dir, 'text_encoder_2/model.onnx')))).toBe(true);
    expect(readPipelineLayout(dir)).toMatchObject({ kind: 'refiner', timeIdsLength: 5, requiresAestheticsScore: true });
  });

  it('unet: encoder_hidden_states of text_encoder_2 width and time_ids [B,5]', async () => {
    const s = await open(refiner.dir, 'unet');
    const r = cfg.refinerUnet;
    expect(r.crossAttentionDim).toBe(cfg.textEncoder2.hiddenSize);
    expect(meta(s, 'in').slice(2)).toEqual([
      { name: 'encoder_hidden_states', type: 'float32', shape: ['batch_size', 'sequence_length', r.crossAttentionDim] },
      { name: 'text_embeds', type: 'float32', shape: ['batch_size', cfg.textEncoder2.projectionDim] },
      { name: 'time_ids', type: 'float32', shape: ['batch_size', 5] },
    ]);
    const out = await s.run({
      sample: f32(rand(2 * 256), [2, 4, 8, 8]),
      timestep: f32(new Float32Array([199]), []),
      encoder_hidden_states: f32(rand(2 * 77 * r.crossAttentionDim), [2, 77, r.crossAttentionDim]),
      text_embeds: f32(rand(64), [2, 32]),
      time_ids: f32(Float32Array.from([64, 64, 0, 0, 6, 64, 64, 0, 0, 2.5]), [2, 5]),
    });
    expect(out.out_sample!.dims).toEqual([2, 4, 8, 8]);
    expectFinite(out.out_sample!);
  });
});
