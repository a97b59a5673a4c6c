import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../src/errors/errors.js';
import type { HandlerRequest } from '../../../../src/handlers/handler.js';
import { groupCompatible, parseRequest, type SdxlLimits } from '../../../../src/handlers/sdxl/request.js';

const limits: SdxlLimits = {
  defaultSize: 1024,
  defaultSteps: 50,
  maxSteps: 150,
  maxPixels: 2048 * 2048,
  sizeMultiple: 8,
  maxImagesPerPrompt: 4,
  refinerAvailable: true,
};
const req = (body: unknown, headers: Record<string, string> = {}): HandlerRequest => ({ requestId: 'r', body, headers, parameters: { body } });
const parse = (body: unknown, l: SdxlLimits = limits) => parseRequest(req(body), l, () => 1234n);

function rejects(body: unknown, field: string, limit?: string, l: SdxlLimits = limits): void {
  let err: unknown;
  try {
    parse(body, l);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(InvalidInputError);
  expect((err as Error).message).toContain(field);
  if (limit) expect((err as Error).message).toContain(limit);
}

describe('SDXL request parsing', () => {
  it('a plain-text body (string or bytes) is the prompt; defaults follow the model', () => {
    for (const body of ['a photo of a cat', Buffer.from('a photo of a cat')]) {
      const r = parse(body);
      expect(r.prompt).toBe('a photo of a cat');
      expect(r).toMatchObject({ steps: 50, guidanceScale: 5, height: 1024, width: 1024, numImages: 1 });
      expect(r).toMatchObject({ refiner: true, highNoiseFrac: 0.8, scheduler: 'euler', outputFormat: 'png', negativePrompt: null });
      expect(r.seed).toBe(1234n);
    }
    expect(parse('x', { ...limits, refinerAvailable: false, defaultSize: 64 })).toMatchObject({ refiner: false, height: 64 });
  });

  it('JSON object (parsed or as bytes) carries every parameter', () => {
    const body = {
      prompt: 'p',
      negative_prompt: 'blurry',
      num_inference_steps: 30,
      guidance_scale: 7.5,
      height: 512,
      width: 768,
      seed: 42,
      num_images_per_prompt: 2,
      refiner: false,
      high_noise_frac: 0.7,
      scheduler: 'euler_a',
      output_format: 'jpg',
      stream: true,
    };
    for (const b of [body, Buffer.from(JSON.stringify(body))]) {
      expect(parse(b)).toMatchObject({
        prompt: 'p',
        prompt2: 'p',
        negativePrompt: 'blurry',
        steps: 30,
        guidanceScale: 7.5,
        height: 512,
        width: 768,
        seed: 42n,
        numImages: 2,
        refiner: false,
        highNoiseFrac: 0.7,
        scheduler: 'euler_ancestral',
        outputFormat: 'jpeg',
        stream: true,
      });
    }
    expect(parse({ prompt: 'p', seed: '18446744073709551615' }).seed).toBe(2n ** 64n - 1n);
    expect(parse({ instances: [{ prompt: 'kserve' }] }).prompt).toBe('kserve');
  });

  it('streaming is also asked for by the ts_stream header', () => {
    expect(parseRequest(req('p', { ts_stream: 'true' }), limits).stream).toBe(true);
    expect(parseRequest(req('p', {}), limits).stream).toBe(false);
  });

  it('rejects bad parameters naming the field and the limit', () => {
    rejects({ prompt: 3 }, 'prompt');
    rejects({ negative_prompt: 'x' }, 'prompt');
    rejects({ prompt: 'p', num_inference_steps: 0 }, 'num_inference_steps', '150');
    rejects({ prompt: 'p', num_inference_steps: 151 }, 'num_inference_steps', '150');
    rejects({ prompt: 'p', num_inference_steps: 2.5 }, 'num_inference_steps');
    rejects({ prompt: 'p', height: 1020 }, 'height', '8');
    rejects({ prompt: 'p', width: 1030 }, 'width', '8');
    rejects({ prompt: 'p', height: 4096, width: 4096 }, 'height x width', String(2048 * 2048));
    rejects({ prompt: 'p', height: 128, width: 128 }, 'height x width', '10000', { ...limits, maxPixels: 10_000 });
    rejects({ prompt: 'p', scheduler: 'pndm' }, 'scheduler', 'euler, euler_ancestral, ddim');
    rejects({ prompt: 'p', output_format: 'gif' }, 'output_format', 'png, jpeg, webp');
    rejects({ prompt: 'p', guidance_scale: 'high' }, 'guidance_scale');
    rejects({ prompt: 'p', high_noise_frac: 1 }, 'high_noise_frac');
    rejects({ prompt: 'p', num_images_per_prompt: 5 }, 'num_images_per_prompt', '4');
    rejects({ prompt: 'p', seed: -1 }, 'seed');
    rejects({ prompt: 'p', refiner: true }, 'refiner', undefined, { ...limits, refinerAvailable: false });
    rejects([1, 2], 'body');
  });

  it('groups requests that can share one UNet batch', () => {
    const a = parse({ prompt: 'a', seed: 1 });
    const b = parse({ prompt: 'b', seed: 2, negative_prompt: 'n', output_format: 'webp' });
    const c = parse({ prompt: 'c', num_inference_steps: 30 });
    const d = parse({ prompt: 'd', width: 512 });
    expect(groupCompatible([a, b, c, d, a])).toEqual([[0, 1, 4], [2], [3]]);
  });
});
