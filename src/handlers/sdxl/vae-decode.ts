/**
 * VAE decoding and pixel conversion (§3.10): z = x / scaling_factor, `vae_decoder`
 * (`latent_sample` → `sample`), then round(clamp(x/2 + 0.5, 0, 1)·255) as HWC RGB bytes.
 * Images are decoded one at a time (the decoder's activations dominate memory).
 */

import type * as ort from 'onnxruntime-node';
import { FloatFeed, readFloat, type ModelSession } from './onnx-session.js';
import type { LatentShape } from './unet-loop.js';

export interface RgbImage {
  width: number;
  height: number;
  /** HWC, 3 channels. */
  pixels: Uint8Array;
}

/** NCHW float in [−1, 1] (one image at offset) → HWC RGB bytes. Throws on NaN/Inf. */
export function toRgb(data: Float32Array, channels: number, height: number, width: number, offset = 0): RgbImage {
  const plane = height * width;
  const pixels = new Uint8Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    const src = offset + Math.min(c, channels - 1) * plane;
    for (let p = 0; p < plane; p++) {
      const x = data[src + p] as number;
      if (!Number.isFinite(x)) {
        throw new Error('VAE decoder produced NaN/Inf (an fp16 SDXL VAE overflows: use an fp32 or fp16-fix vae_decoder)');
      }
      const v = Math.min(1, Math.max(0, x * 0.5 + 0.5));
      pixels[p * 3 + c] = Math.round(v * 255);
    }
  }
  return { width, height, pixels };
}

export async function decodeLatents(
  vae: ModelSession,
  latents: Float32Array,
  shape: LatentShape,
  scalingFactor: number,
): Promise<RgbImage[]> {
  const per = shape.channels * shape.height * shape.width;
  const input = vae.inputs.has('latent_sample') ? 'latent_sample' : ([...vae.inputs.keys()][0] as string);
  const output = vae.hasOutput('sample') ? 'sample' : ([...vae.outputs.keys()][0] as string);
  const feed = new FloatFeed(vae.floatType(input), [1, shape.channels, shape.height, shape.width]);
  const images: RgbImage[] = [];
  for (let i = 0; i < shape.count; i++) {
    for (let j = 0; j < per; j++) feed.data[j] = (latents[i * per + j] as number) / scalingFactor;
    const out = await vae.run({ [input]: feed.sync() }, [output]);
    const t = out[output] as ort.Tensor;
    const [, channels, height, width] = t.dims.map(Number) as [number, number, number, number];
    images.push(toRgb(readFloat(t), channels, height, width));
  }
  return images;
}
