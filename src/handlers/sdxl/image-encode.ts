/** RGB bytes → PNG / JPEG / WebP with sharp. */

import sharp from 'sharp';
import type { RgbImage } from './vae-decode.js';

export const OUTPUT_FORMATS = ['png', 'jpeg', 'webp'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const CONTENT_TYPES: Record<OutputFormat, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};

export async function encodeImage(image: RgbImage, format: OutputFormat): Promise<Buffer> {
  const s = sharp(Buffer.from(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength), {
    raw: { width: image.width, height: image.height, channels: 3 },
  });
  if (format === 'jpeg') return s.jpeg({ quality: 90 }).toBuffer();
  if (format === 'webp') return s.webp({ quality: 90 }).toBuffer();
  return s.png().toBuffer();
}
