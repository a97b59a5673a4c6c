/**
 * `stable_diffusion_xl`: the built-in SDXL text-to-image handler (base + optional refiner).
 *
 * Model folder: the archive's `model/` (or the model dir itself) holds the base pipeline and
 * `refiner/` the refiner, each an optimum or Olive ONNX export (found by `model_index.json` or
 * `unet/`). model-config.yaml `handler:` keys: `executionProviders` (default `[cpu]`; `cuda`,
 * `webgpu`, or objects as onnxruntime takes them; a failing provider falls back to the next),
 * `max_pixels`, `max_steps`, `max_images`, `size_multiple`, `default_steps`,
 * `intra_op_num_threads`, `device_id`.
 *
 * Responses: one image → its bytes (`image/png`, `image/jpeg`, `image/webp`); several →
 * `{"images": ["<base64>", …]}` as application/json. The seed used is in header `x-nserve-seed`.
 *
 * Streaming: JSON `"stream": true`, or request header `ts_stream: true` / `x-nserve-stream: true`
 * (transports map gRPC StreamPredictions onto the same flag). The result is then an async
 * iterable: one JSON line per denoising step `{"step":i,"total":n,"stage":"base|refiner"}\n`,
 * then the image bytes. With `"stream_image": "base64"`, or several images, the last chunk is a
 * JSON line `{"images":["<base64>", …]}\n` instead (for text-only transports).
 */

import { InvalidInputError } from '../../errors/errors.js';
import type { Handler, HandlerContext, HandlerRequest, HandlerResult } from '../handler.js';
import { CONTENT_TYPES, encodeImage } from './image-encode.js';
import type { ExecutionProvider } from './onnx-session.js';
import { findPipelineRoots } from './pipeline-layout.js';
import { SdxlPipeline, type Stage } from './pipeline.js';
import { groupCompatible, parseRequest, type GenerationRequest, type SdxlLimits } from './request.js';
import { StreamChannel } from '../../util/stream-channel.js';

type Json = Record<string, unknown>;

function handlerConfig(context: HandlerContext): Json {
  const h = context.settings?.modelConfig?.['handler'];
  return h && typeof h === 'object' && !Array.isArray(h) ? (h as Json) : {};
}

function positive(cfg: Json, key: string, def: number): number {
  const v = cfg[key];
  return typeof v === 'number' && v > 0 ? v : def;
}

export function executionProviders(cfg: Json): ExecutionProvider[] {
  const raw = cfg['executionProviders'] ?? cfg['execution_providers'] ?? ['cpu'];
  const list = Array.isArray(raw) ? raw : [raw];
  const deviceId = typeof cfg['device_id'] === 'number' ? cfg['device_id'] : 0;
  return list.map((ep): ExecutionProvider => {
    if (ep === 'cuda' || ep === 'tensorrt') return { name: ep, deviceId };
    if (typeof ep === 'string') return ep;
    return ep as ExecutionProvider;
  });
}

export { findPipelineRoots };

export default class StableDiffusionXlHandler implements Handler {
  #pipeline: SdxlPipeline | undefined;
  #limits: SdxlLimits | undefined;
  #roots: { base: string; refiner: string | undefined } | undefined;
  #providers: ExecutionProvider[] = [];
  /** Streaming work still running after `handle` returned; the next batch waits for it. */
  #busy: Promise<void> = Promise.resolve();

  async initialize(context: HandlerContext): Promise<void> {
    const cfg = handlerConfig(context);
    this.#roots = findPipelineRoots(context.modelDir);
    this.#providers = executionProviders(cfg);
    const threads = cfg['intra_op_num_threads'];
    this.#pipeline = await SdxlPipeline.load(this.#roots.base, this.#roots.refiner, {
      executionProviders: this.#providers,
      ...(typeof threads === 'number' ? { intraOpNumThreads: threads } : {}),
      warn: (m) => context.logger.warn(m),
    });
    const size = this.#pipeline.defaultSize;
    this.#limits = {
      defaultSize: size,
      defaultSteps: positive(cfg, 'default_steps', 50),
      maxSteps: positive(cfg, 'max_steps', 150),
      maxPixels: positive(cfg, 'max_pixels', Math.max(2048 * 2048, size * size)),
      sizeMultiple: Math.max(8, positive(cfg, 'size_multiple', 8)),
      maxImagesPerPrompt: positive(cfg, 'max_images', 4),
      refinerAvailable: this.#pipeline.refiner !== undefined,
    };
    context.logger.info(
      `SDXL loaded: base ${this.#roots.base}${this.#roots.refiner ? `, refiner ${this.#roots.refiner}` : ''}; default ${size}x${size}; providers ${JSON.stringify(this.#providers)}`,
    );
  }

  async describe(): Promise<unknown> {
    return {
      pipeline: 'stable_diffusion_xl',
      base: this.#roots?.base,
      refiner: this.#roots?.refiner ?? null,
      executionProviders: this.#providers,
      limits: this.#limits,
      schedulers: ['euler', 'euler_ancestral', 'ddim'],
    };
  }

  async handle(requests: HandlerRequest[], context: HandlerContext): Promise<HandlerResult[]> {
    const pipeline = this.#pipeline;
    const limits = this.#limits;
    if (!pipeline || !limits) throw new Error('SDXL handler is not initialized');
    await this.#busy;

    const results: HandlerResult[] = new Array<HandlerResult>(requests.length);
    const parsed: (GenerationRequest | undefined)[] = requests.map((req, i) => {
      try {
        return parseRequest(req, limits);
      } catch (err) {
        // A bad request fails alone (the worker answers 400 for an Error result); the batch goes on.
        if (!(err instanceof InvalidInputError) || requests.length === 1) throw err;
        results[i] = err;
        return undefined;
      }
    });
    const valid = parsed.map((p, i) => [p, i] as const).filter((x): x is readonly [GenerationRequest, number] => x[0] !== undefined);
    const groups = groupCompatible(valid.map(([p]) => p)).map((g) => g.map((j) => (valid[j] as readonly [GenerationRequest, number])[1]));

    const streamed: { group: number[]; channels: Map<number, StreamChannel<string | Uint8Array>> }[] = [];
    for (const group of groups) {
      const reqs = group.map((i) => parsed[i] as GenerationRequest);
      group.forEach((i) => context.setResponseHeader(i, 'x-nserve-seed', String((parsed[i] as GenerationRequest).seed)));
      if ((reqs[0] as GenerationRequest).stream) {
        const channels = new Map(group.map((i) => [i, new StreamChannel<string | Uint8Array>()] as const));
        for (const i of group) {
          const r = parsed[i] as GenerationRequest;
          const ndjson = r.streamBase64 || r.numImages > 1;
          context.setResponseContentType(i, ndjson ? 'application/x-ndjson' : CONTENT_TYPES[r.outputFormat]);
          results[i] = channels.get(i);
        }
        streamed.push({ group, channels });
        continue;
      }
      const images = await pipeline.generate(reqs, { onStep: this.#stepReporter(context, reqs.length) });
      for (let g = 0; g < group.length; g++) {
        const i = group[g] as number;
        const r = reqs[g] as GenerationRequest;
        const bufs = await Promise.all((images[g] ?? []).map((img) => encodeImage(img, r.outputFormat)));
        if (bufs.length === 1) {
          context.setResponseContentType(i, CONTENT_TYPES[r.outputFormat]);
          results[i] = bufs[0];
        } else {
          context.setResponseContentType(i, 'application/json');
          results[i] = { images: bufs.map((b) => b.toString('base64')) };
        }
      }
    }
    if (streamed.length > 0) this.#busy = this.#runStreams(pipeline, parsed, streamed, context);
    return results;
  }

  #stepReporter(context: HandlerContext, requests: number): (stage: Stage, done: number, total: number) => void {
    let last = performance.now();
    return (stage, done, total) => {
      const now = performance.now();
      const ms = now - last;
      last = now;
      context.logger.info(`SDXL ${stage} step ${done}/${total} (${requests} request(s), ${ms.toFixed(1)} ms)`);
      context.emitMetric?.('SdxlDenoiseStepTime', ms, 'ms', { stage });
    };
  }

  async #runStreams(
    pipeline: SdxlPipeline,
    parsed: (GenerationRequest | undefined)[],
    streamed: { group: number[]; channels: Map<number, StreamChannel<string | Uint8Array>> }[],
    context: HandlerContext,
  ): Promise<void> {
    for (const { group, channels } of streamed) {
      const reqs = group.map((i) => parsed[i] as GenerationRequest);
      const report = this.#stepReporter(context, reqs.length);
      try {
        const images = await pipeline.generate(reqs, {
          onStep: (stage, done, total) => {
            report(stage, done, total);
            const line = `${JSON.stringify({ step: done, total, stage })}\n`;
            for (const ch of channels.values()) ch.push(line);
          },
        });
        for (let g = 0; g < group.length; g++) {
          const r = reqs[g] as GenerationRequest;
          const ch = channels.get(group[g] as number) as StreamChannel<string | Uint8Array>;
          const bufs = await Promise.all((images[g] ?? []).map((img) => encodeImage(img, r.outputFormat)));
          if (r.streamBase64 || bufs.length !== 1) ch.push(`${JSON.stringify({ images: bufs.map((b) => b.toString('base64')) })}\n`);
          else ch.push(bufs[0] as Buffer);
          ch.close();
        }
      } catch (err) {
        context.logger.error(`SDXL streaming generation failed: ${(err as Error).message}`);
        for (const ch of channels.values()) ch.close(err);
      }
    }
  }

  async finalize(): Promise<void> {
    await this.#busy;
    await this.#pipeline?.release();
    this.#pipeline = undefined;
  }
}
