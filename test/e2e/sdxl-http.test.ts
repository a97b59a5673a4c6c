/**
 * SDXL through the real server, as curl users see it: `bin/nserve.js` (dist/, built by
 * `npm test`) serving `sdxl_tiny.mar` (built by `npm run examples`' CLI: model.zip = tiny base,
 * refiner.zip = tiny refiner) on 127.0.0.1.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'nserve-sdxl-http-'));
const port = 20_000 + Math.floor(Math.random() * 30_000);
const url = `http://127.0.0.1:${port}`;
let server: ChildProcess | undefined;
let output = '';

async function waitReady(): Promise<void> {
  const end = Date.now() + 120_000;
  while (Date.now() < end) {
    try {
      const r = await fetch(`${url}/predictions/sdxl`, { method: 'POST', body: JSON.stringify({ prompt: 'warm', num_inference_steps: 1 }), headers: { 'content-type': 'application/json' } });
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    if (server?.exitCode !== null && server?.exitCode !== undefined) throw new Error(`server exited: ${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`server not ready: ${output}`);
}

beforeAll(async () => {
  const store = join(tmp, 'store');
  execFileSync(process.execPath, [join(root, 'dist/tools/examples/cli.js'), '--store', store, '--work-dir', join(tmp, 'work')], { cwd: root });
  const cfg = join(tmp, 'config.properties');
  writeFileSync(
    cfg,
    [
      `inference_address=http://127.0.0.1:${port}`,
      `management_address=http://127.0.0.1:${port + 1}`,
      `metrics_address=http://127.0.0.1:${port + 2}`,
      `grpc_inference_port=${port + 3}`,
      `grpc_management_port=${port + 4}`,
      'disable_token_authorization=true',
    ].join('\n'),
  );
  server = spawn(process.execPath, [join(root, 'bin/nserve.js'), '--foreground', '--ts-config', cfg, '--model-store', store, '--models', 'sdxl=sdxl_tiny.mar', '--ncs'], {
    cwd: tmp,
    // Its own pid file and temp dir: a server the user left running (`npm start`) must not stop this one.
    env: { ...process.env, TMPDIR: tmp, NSERVE_PID_FILE: join(tmp, '.model_server.pid'), LOG_LOCATION: join(tmp, 'logs') },
  });
  server.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  server.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  await waitReady();
}, 180_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server?.once('exit', r));
    server.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (server.exitCode === null) server.kill('SIGKILL');
  }
  rmSync(tmp, { recursive: true, force: true });
});

const post = (body: string, type = 'application/json') => fetch(`${url}/predictions/sdxl`, { method: 'POST', body, headers: { 'content-type': type } });

describe('SDXL over HTTP /predictions (sdxl_tiny.mar)', () => {
  it('curl -d "a prompt" answers a PNG of the model default size', async () => {
    const r = await post(JSON.stringify({ prompt: 'a photo of a dog', num_inference_steps: 5, seed: 1 }));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/png');
    expect(r.headers.get('x-nserve-seed')).toBe('1');
    const meta = await sharp(Buffer.from(await r.arrayBuffer())).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 64, height: 64 });
    const text = await post('a photo of a dog', 'text/plain');
    expect(text.status).toBe(200);
    expect(text.headers.get('content-type')).toBe('image/png');
  });

  it('an invalid parameter is a TorchServe-style 400 naming the field and the limit', async () => {
    const r = await post(JSON.stringify({ prompt: 'x', width: 100 }));
    expect(r.status).toBe(400);
    const body = (await r.json()) as { code: number; type: string; message: string };
    expect(body).toMatchObject({ code: 400, type: 'BadRequestException' });
    expect(body.message).toMatch(/width.*multiple of 8/);
  });

  it('"stream": true sends step events as they happen, then the image (base64 JSON line on request)', async () => {
    const r = await post(JSON.stringify({ prompt: 'x', num_inference_steps: 5, stream: true, stream_image: 'base64', seed: 2 }));
    expect(r.status).toBe(200);
    const lines = (await r.text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // 5 steps at high_noise_frac 0.8: base runs t ≥ 200 (4 steps), the refiner the last one.
    expect(lines.slice(0, 5)).toEqual([
      { step: 1, total: 4, stage: 'base' },
      { step: 2, total: 4, stage: 'base' },
      { step: 3, total: 4, stage: 'base' },
      { step: 4, total: 4, stage: 'base' },
      { step: 1, total: 1, stage: 'refiner' },
    ]);
    const images = (lines[5] as { images: string[] }).images;
    const direct = Buffer.from(await (await post(JSON.stringify({ prompt: 'x', num_inference_steps: 5, seed: 2 }))).arrayBuffer());
    expect(Buffer.from(images[0] as string, 'base64').equals(direct)).toBe(true);
  });
});
