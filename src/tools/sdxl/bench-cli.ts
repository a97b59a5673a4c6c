#!/usr/bin/env node
/**
 * node dist/tools/sdxl/bench-cli.js --dir PIPELINE [--runs 5] [--batch 1] [--size PX] [--threads N] [--ep cpu]
 * Times each session of a (synthetic or real) SDXL pipeline in optimum layout: load, then the
 * median of `runs` calls of text_encoder / text_encoder_2 ([batch,77]), unet (CFG batch
 * 2·batch) and vae_decoder (batch). Inputs are typed from session metadata, so fp16 works too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import ort from 'onnxruntime-node';
import { float16ToFloat32Array, toFloat16Bits } from '../../util/float16.js';

interface Timing {
  graph: string;
  loadMs: number;
  medianMs: number;
  outputs: string;
}

function tensor(type: string, values: Float32Array, dims: number[]): ort.Tensor {
  if (type === 'float16') return new ort.Tensor('float16', Uint16Array.from(values, (v) => toFloat16Bits(v)), dims);
  return new ort.Tensor('float32', values, dims);
}

const wave = (n: number, scale: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * scale);

export async function benchPipeline(dir: string, o: { runs: number; batch: number; size?: number; threads?: number; ep: string }): Promise<Timing[]> {
  const cfg = (p: string): Record<string, unknown> => JSON.parse(readFileSync(join(dir, p), 'utf8')) as Record<string, unknown>;
  const unetCfg = cfg('unet/config.json');
  const vaeBlocks = (cfg('vae_decoder/config.json').block_out_channels as number[]).length;
  const latent = o.size ? o.size / 2 ** (vaeBlocks - 1) : (unetCfg.sample_size as number);
  const B = o.batch;
  const opts: ort.InferenceSession.SessionOptions = { executionProviders: [o.ep], ...(o.threads ? { intraOpNumThreads: o.threads } : {}) };
  const ids = BigInt64Array.from({ length: B * 77 }, (_, i) => BigInt(i % 77 === 0 ? 49406 : i % 77 < 6 ? 320 + (i % 77) : 49407));
  const plans: [string, (s: ort.InferenceSession) => Record<string, ort.Tensor>][] = [
    ['text_encoder', () => ({ input_ids: new ort.Tensor('int64', ids, [B, 77]) })],
    ['text_encoder_2', () => ({ input_ids: new ort.Tensor('int64', ids, [B, 77]) })],
    [
      'unet',
      (s) => {
        const meta = (name: string): { type: string; shape: (number | string)[] } =>
          s.inputMetadata.find((m) => m.name === name) as unknown as { type: string; shape: (number | string)[] };
        const type = (name: string): string => meta(name).type;
        const shape = (name: string): (number | string)[] => meta(name).shape;
        const cross = unetCfg.cross_attention_dim as number;
        const pooled = shape('text_embeds')[1] as number;
        const nIds = shape('time_ids')[1] as number;
        return {
          sample: tensor(type('sample'), wave(2 * B * 4 * latent * latent, 10), [2 * B, 4, latent, latent]),
          timestep: tensor(type('timestep'), new Float32Array([958]), shape('timestep').length === 0 ? [] : [1]),
          encoder_hidden_states: tensor(type('encoder_hidden_states'), wave(2 * B * 77 * cross, 1), [2 * B, 77, cross]),
          text_embeds: tensor(type('text_embeds'), wave(2 * B * pooled, 1), [2 * B, pooled]),
          time_ids: tensor(type('time_ids'), Float32Array.from({ length: 2 * B * nIds }, () => latent * 8), [2 * B, nIds]),
        };
      },
    ],
    ['vae_decoder', (s) => ({ latent_sample: tensor((s.inputMetadata[0] as unknown as { type: string }).type, wave(B * 4 * latent * latent, 5), [B, 4, latent, latent]) })],
  ];
  const timings: Timing[] = [];
  for (const [graph, feeds] of plans) {
    const path = join(dir, graph, 'model.onnx');
    if (!existsSync(path)) continue;
    let t = performance.now();
    const session = await ort.InferenceSession.create(path, opts);
    const loadMs = performance.now() - t;
    const input = feeds(session);
    const times: number[] = [];
    let out: ort.InferenceSession.ReturnType = {};
    for (let i = 0; i < o.runs + 1; i++) {
      t = performance.now();
      out = await session.run(input);
      if (i > 0) times.push(performance.now() - t); // first run warms up
    }
    times.sort((a, b) => a - b);
    const first = session.outputNames[0]!;
    const t0 = out[first]!;
    const values = t0.type === 'float16' ? float16ToFloat32Array(t0.data as Uint16Array) : (t0.data as Float32Array);
    const nonFinite = values.reduce((n, v) => n + (Number.isFinite(v) ? 0 : 1), 0);
    timings.push({ graph, loadMs, medianMs: times[Math.floor(times.length / 2)] ?? 0, outputs: `${first} [${t0.dims.join(',')}] non-finite ${nonFinite}` });
    await session.release();
  }
  return timings;
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string' },
      runs: { type: 'string', default: '5' },
      batch: { type: 'string', default: '1' },
      size: { type: 'string' },
      threads: { type: 'string' },
      ep: { type: 'string', default: 'cpu' },
    },
  });
  if (!values.dir) {
    console.error('usage: bench-cli --dir PIPELINE [--runs 5] [--batch 1] [--size PX] [--threads N] [--ep cpu]');
    return 2;
  }
  const timings = await benchPipeline(values.dir, {
    runs: Number(values.runs),
    batch: Number(values.batch),
    ep: values.ep,
    ...(values.size ? { size: Number(values.size) } : {}),
    ...(values.threads ? { threads: Number(values.threads) } : {}),
  });
  for (const t of timings) console.log(`${t.graph.padEnd(15)} load ${t.loadMs.toFixed(0).padStart(6)} ms   run (median) ${t.medianMs.toFixed(2).padStart(9)} ms   ${t.outputs}`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main(process.argv.slice(2));
