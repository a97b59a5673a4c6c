/** Archive format detection by content (magic bytes), not by file name. */
import { open } from 'node:fs/promises';

export type ArchiveFormat = 'zip' | 'tgz' | 'unknown';

export async function detectFormat(file: string): Promise<ArchiveFormat> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    if (bytesRead >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 0x03 || head[2] === 0x05) && (head[3] === 0x04 || head[3] === 0x06)) return 'zip';
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'tgz';
    return 'unknown';
  } finally {
    await handle.close();
  }
}
