/**
 * `AIP_HEALTH_ROUTE=/ping` through the real process: TorchServe's `/ping` answers the health
 * route (no clashing second route, which would stop start-up), and the Vertex predict route
 * is still served. Needs `dist/` (`npm run build`).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, expect, it } from 'vitest';

let dir: string | undefined;
let child: ChildProcessWithoutNullStreams | undefined;
afterEach(() => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

it('AIP_HEALTH_ROUTE=/ping starts, and /ping keeps TorchServe health semantics', async () => {
  dir = mkdtempSync(join(tmpdir(), 'nserve-vertex-ping-'));
  mkdirSync(join(dir, 'store'));
  const props = ['inference_address=http://127.0.0.1:0', 'management_address=http://127.0.0.1:0', 'metrics_address=http://127.0.0.1:0', 'grpc_inference_port=0', 'grpc_management_port=0', 'disable_system_metrics=true'];
  writeFileSync(join(dir, 'config.properties'), props.join('\n'));
  const env: NodeJS.ProcessEnv = { ...process.env, NSERVE_PID_FILE: join(dir, 'pid'), LOG_LOCATION: join(dir, 'logs'), AIP_MODE: 'PREDICTION', AIP_HEALTH_ROUTE: '/ping', AIP_PREDICT_ROUTE: '/vertex/predict' };
  delete env.PORT;
  child = spawn(process.execPath, [resolve('bin/nserve.js'), '--foreground', '--ts-config', 'config.properties', '--model-store', 'store', '--dt', '--ncs'], { cwd: dir, env });
  let out = '';
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const started = await new Promise<boolean>((r) => {
    child!.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Model server started.')) r(true);
    });
    child!.on('exit', () => r(false));
  });
  expect(started, out).toBe(true);
  const base = `http://127.0.0.1:${/Listening on http:\/\/127\.0\.0\.1:(\d+) \(inference\)/.exec(out)?.[1]}`;
  // TorchServe's /ping: healthy with no model (the Vertex health route would answer 503 here).
  const ping = await fetch(`${base}/ping`);
  expect([ping.status, await ping.json()]).toEqual([200, { status: 'Healthy' }]);
  const predict = await fetch(`${base}/vertex/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"instances":[1]}' });
  expect(predict.status).toBe(503);
  expect(((await predict.json()) as { error: string }).error).toBe('No model is registered yet');
  child.kill('SIGTERM');
});
