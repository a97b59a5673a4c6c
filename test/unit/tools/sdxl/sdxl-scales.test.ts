/**
 * Scale checks: the `full` architecture's parameter counts (graph built, no weights written),
 * finite activations through `small` (full depth, narrow widths), and float16 graphs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { float16ToFloat32Array, toFloat16Bits } from '../../../../src/util/float16.js';
import { GraphBuilder } from '../../../../src/tools/onnx/graph-builder.js';
import { countParameters } from '../../../../src/tools/onnx/model-writer.js';
import { buildSdxlPipeline } from '../../../../src/tools/sdxl/build-pipeline.js';
import { buildClipTextEncoder } from '../../../../src/tools/sdxl/clip-text-encoder.js';
import { fullConfig, smallConfig, tinyConfig } from '../../../../src/tools/sdxl/configs.js';
import { buildUNet } from '../../../../src/tools/sdxl/unet.js';
import { buildVaeDecoder } from '../../../../src/tools/sdxl/vae-decoder.js';

const tmp = mkdtempSync(join(tmpdir(), 'nserve-sdxl-scales-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function params(build: (b: GraphBuilder) => void): number {
  const b = new GraphBuilder({ name: 'count' });
  build(b);
  return countParameters(b);
}

const finite = (data: ArrayLike<number>): boolean => Array.from(data).every(Number.isFinite);
const wave = (n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * scale);

describe('full scale architecture', () => {
  it('has the parameter counts of SDXL 1.0 (CLIP-L, OpenCLIP bigG + projection, UNets, VAE decoder)', () => {
    const cfg = fullConfig();
    expect(params((b) => buildClipTextEncoder(b, cfg.textEncoder, 'clip'))).toBe(123_060_480);
    expect(params((b) => buildClipTextEncoder(b, cfg.textEncoder2, 'clip-with-projection'))).toBe(694_659_840);
    expect(params((b) => buildUNet(b, cfg.unet))).toBe(2_567_463_684);
    expect(params((b) => buildUNet(b, cfg.refinerUnet))).toBe(2_259_526_660);
    expect(params((b) => buildVaeDecoder(b, cfg.vaeDecoder))).toBe(49_490_199);
  });
});

describe('small scale (full topology: 12/32 text layers, 3 UNet levels, 1/2/4 transformer layers)', () => {
  it('keeps every output finite through the whole base pipeline', async () => {
    const cfg = smallConfig();
    const built = buildSdxlPipeline(join(tmp, 'small'), { config: cfg, graphs: ['text_encoder_2', 'unet', 'vae_decoder'] });
    const opts = { intraOpNumThreads: 1 };
    const te2 = await ort.InferenceSession.create(join(built.dir, 'text_encoder_2/model.onnx'), opts);
    const ids = new BigInt64Array(77).fill(0n);
    ids.set([49406n, 320n, 1125n, 539n, 320n, 2368n, 49407n]);
    const enc = await te2.run({ input_ids: new ort.Tensor('int64', ids, [1, 77]) });
    for (const name of te2.outputNames) expect(finite(enc[name]!.data as Float32Array), name).toBe(true);
    await te2.release();

    const u = cfg.unet;
    const L = u.sampleSize;
    const unet = await ort.InferenceSession.create(join(built.dir, 'unet/model.onnx'), opts);
    const out = await unet.run({
      sample: new ort.Tensor('float32', wave(2 * 4 * L * L, 14.6), [2, 4, L, L]), // σ_max-sized latents
      timestep: new ort.Tensor('float32', new Float32Array([999]), []),
      encoder_hidden_states: new ort.Tensor('float32', wave(2 * 77 * u.crossAttentionDim, 3), [2, 77, u.crossAttentionDim]),
      text_embeds: new ort.Tensor('float32', wave(2 * 80, 3), [2, 80]),
      time_ids: new ort.Tensor('float32', Float32Array.from([128, 128, 0, 0, 128, 128, 1024, 1024, 0, 0, 1024, 1024]), [2, 6]),
    });
    expect(out.out_sample!.dims).toEqual([2, 4, L, L]);
    expect(finite(out.out_sample!.data as Float32Array)).toBe(true);
    await unet.release();

    const vae = await ort.InferenceSession.create(join(built.dir, 'vae_decoder/model.onnx'), opts);
    const img = await vae.run({ latent_sample: new ort.Tensor('float32', wave(4 * L * L, 1 / 0.13025), [1, 4, L, L]) });
    expect(img.sample!.dims).toEqual([1, 3, 8 * L, 8 * L]);
    expect(finite(img.sample!.data as Float32Array)).toBe(true);
    await vae.release();
  });
});

describe('float16 export (--fp16)', () => {
  it('makes every float input and output float16, timestep included, and runs on CPU', async () => {
    const built = buildSdxlPipeline(join(tmp, 'fp16'), { scale: 'tiny', fp16: true, graphs: ['unet', 'vae_decoder'] });
    const unet = await ort.InferenceSession.create(join(built.dir, 'unet/model.onnx'));
    expect(unet.inputMetadata.map((m) => (m as { type: string }).type)).toEqual(['float16', 'float16', 'float16', 'float16', 'float16']);
    const u = tinyConfig().unet;
    const half = (v: Float32Array): Uint16Array => Uint16Array.from(v, (x) => toFloat16Bits(x));
    const out = await unet.run({
      sample: new ort.Tensor('float16', half(wave(2 * 256)), [2, 4, 8, 8]),
      timestep: new ort.Tensor('float16', half(new Float32Array([958])), []),
      encoder_hidden_states: new ort.Tensor('float16', half(wave(2 * 77 * u.crossAttentionDim)), [2, 77, u.crossAttentionDim]),
      text_embeds: new ort.Tensor('float16', half(wave(64)), [2, 32]),
      time_ids: new ort.Tensor('float16', half(Float32Array.from([64, 64, 0, 0, 64, 64, 64, 64, 0, 0, 64, 64])), [2, 6]),
    });
    expect(out.out_sample!.type).toBe('float16');
    expect(finite(float16ToFloat32Array(out.out_sample!.data as Uint16Array))).toBe(true);
    await unet.release();
  });
});
