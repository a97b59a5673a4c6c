/**
 * nserve as the image of KServe's `kserve-torchserve` runtime, through the real `bin/nserve.js`:
 * KServe's seed config puts inference+management on 8085, but KServe routes traffic (and
 * TCP-probes readiness) to `PORT`. The `PORT` listener serves the inference routes and opens only
 * once the start-up models are loaded; `PORT` equal to the gRPC port is ignored;
 * `NSERVE_KSERVE_PORT` opens the same listener without Knative; the runtime's argv
 * (`torchserve --start …`) inside a pod stays in the foreground.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyOnnxModel } from '../../src/tools/examples/tiny-models.js';
import { buildMar } from '../helpers/build-mar.js';
import { postJson } from '../helpers/http.js';
import { PACKAGE_ROOT, startNserve, type NserveProcess } from '../helpers/nserve-process.js';

const BIN = join(PACKAGE_ROOT, 'bin', 'nserve.js');
const FIXTURES = join(PACKAGE_ROOT, 'test', 'fixtures', 'handlers');
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'nserve-e2e-kserve-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** 'connected', or the connect error code (ECONNREFUSED). */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

const getJson = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('KServe seed config (inference = management on one explicit port) with PORT set', () => {
  let server: NserveProcess;
  let kservePort: number;
  let seedPort: number;
  /** What was observed while the slow model was still initialising. */
  let duringLoad: Promise<{ ping: number; connect: string; startedYet: boolean }> | undefined;

  beforeAll(async () => {
    const slow = await buildMar(join(work, 'slow'), {
      name: 'slow',
      handlerFile: `${join(FIXTURES, 'slow-init.js')}:SlowInit`,
      config: { minWorkers: 1, maxWorkers: 1, initMs: 1500 },
    });
    const onnx = buildTinyOnnxModel(join(work, 'tinymodel'));
    const tiny = await buildMar(join(work, 'tiny'), { name: 'tiny', builtin: 'onnx', serializedFile: onnx, config: { minWorkers: 1, maxWorkers: 1 } });
    kservePort = await freePort();
    seedPort = await freePort();
    let output = '';
    server = await startNserve({
      storeFiles: [slow, tiny],
      properties: {
        inference_address: `http://127.0.0.1:${seedPort}`,
        management_address: `http://127.0.0.1:${seedPort}`,
        enable_envvars_config: true,
      },
      env: { PORT: String(kservePort), TS_SERVICE_ENVELOPE: 'kserve' },
      onOutput: (chunk) => {
        output += chunk;
        // The slow model's initialize() has begun (it takes 1.5 s): probe both ports 300 ms in.
        if (duringLoad === undefined && output.includes('init attempt')) {
          duringLoad = (async () => {
            await new Promise((r) => setTimeout(r, 300));
            const ping = (await fetch(`http://127.0.0.1:${seedPort}/ping`)).status;
            const result = await tryConnect(kservePort);
            return { ping, connect: result, startedYet: output.includes('Model server started.') };
          })();
        }
      },
    });
  });
  afterAll(() => server?.stop());

  it('refuses connections on PORT until the start-up models are loaded (the seed listener already answers)', async () => {
    expect(duringLoad).toBeDefined();
    const seen = await duringLoad!;
    expect(seen).toEqual({ ping: 200, connect: 'ECONNREFUSED', startedYet: false });
    expect(await tryConnect(kservePort)).toBe('connected');
    expect(server.log()).toMatch(new RegExp(`Listening on http://0\\.0\\.0\\.0:${kservePort} \\(inference, KServe PORT=${kservePort}`));
    // The listener line comes before `Model server started.`: a harness waiting for it can use PORT.
    expect(server.log().indexOf(`0.0.0.0:${kservePort}`)).toBeLessThan(server.log().indexOf('Model server started.'));
  });

  it('serves KServe v1 predict and readiness, v2 infer and health, and /ping on PORT', async () => {
    const base = `http://127.0.0.1:${kservePort}`;
    const v1 = await postJson(`${base}/v1/models/slow:predict`, { instances: [{ a: 1 }, { a: 2 }] });
    expect(v1.status).toBe(200);
    expect(JSON.parse(v1.text)).toEqual({ predictions: ['ready', 'ready'] });
    expect(await getJson(`${base}/v1/models/slow`)).toEqual({ status: 200, body: { name: 'slow', ready: true } });

    const v2 = await postJson(`${base}/v2/models/tiny/infer`, { id: 'k1', inputs: [{ name: 'input', shape: [2, 4], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6, 7, 8] }] });
    expect(v2.status).toBe(200);
    const out = JSON.parse(v2.text) as { id: string; model_name: string; outputs: { shape: number[]; data: number[] }[] };
    expect(out.id).toBe('k1');
    expect(out.model_name).toBe('tiny');
    expect(out.outputs[0]!.shape).toEqual([2, 3]);
    expect(out.outputs[0]!.data).toHaveLength(6);

    expect((await getJson(`${base}/v2/health/ready`)).status).toBe(200);
    expect(await getJson(`${base}/ping`)).toEqual({ status: 200, body: { status: 'Healthy' } });
    // TS_SERVICE_ENVELOPE=kserve (as the runtime injects it) applies to /predictions on PORT too.
    const enveloped = await postJson(`${base}/predictions/slow`, { instances: [{ a: 1 }] });
    expect(JSON.parse(enveloped.text)).toEqual({ predictions: ['ready'] });
  });

  it('serves the inference routes only: the management API stays on the seed listener', async () => {
    expect((await getJson(`http://127.0.0.1:${kservePort}/models`)).status).toBe(404);
    const listed = await getJson(`http://127.0.0.1:${seedPort}/models`);
    expect(listed.status).toBe(200);
    expect((listed.body.models as { modelName: string }[]).map((m) => m.modelName).sort()).toEqual(['slow', 'tiny']);
  });
});

describe('PORT on the gRPC port; NSERVE_KSERVE_PORT without Knative', () => {
  let server: NserveProcess;
  let grpcPort: number;
  let ownPort: number;

  beforeAll(async () => {
    grpcPort = await freePort();
    ownPort = await freePort();
    server = await startNserve({
      properties: { grpc_inference_port: grpcPort },
      env: { PORT: String(grpcPort), NSERVE_KSERVE_PORT: String(ownPort) },
      tokenAuth: true,
    });
  });
  afterAll(() => server?.stop());

  it('ignores PORT when it is the gRPC inference port (the server starts, gRPC keeps the port)', () => {
    expect(server.grpcPorts?.inference).toBe(grpcPort);
    expect(server.log()).toContain(`PORT=${grpcPort} is a gRPC port`);
    expect(server.log()).not.toMatch(new RegExp(`Listening on http://0\\.0\\.0\\.0:${grpcPort}`));
  });

  it('opens NSERVE_KSERVE_PORT with the inference group’s token check (health stays public)', async () => {
    const base = `http://127.0.0.1:${ownPort}`;
    expect(await getJson(`${base}/ping`)).toEqual({ status: 200, body: { status: 'Healthy' } });
    const denied = await postJson(`${base}/predictions/nothing`, {});
    expect(denied.status).toBe(400);
    expect((JSON.parse(denied.text) as { type: string }).type).toBe('InvalidKeyException');
    const res = await fetch(`${base}/predictions/nothing`, { method: 'POST', headers: { authorization: `Bearer ${server.keys!.inference}` }, body: '{}' });
    expect(res.status).toBe(404);
    expect(server.log()).toContain('Token authorization is on: KServe clients send no TorchServe key');
  });
});

describe("the kserve-torchserve runtime's argv", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(() => {
    dir = mkdtempSync(join(work, 'argv-'));
    mkdirSync(join(dir, 'model-store'));
    mkdirSync(join(dir, 'config'));
    const props = ['inference_address=http://127.0.0.1:0', 'management_address=http://127.0.0.1:0', 'metrics_address=http://127.0.0.1:0', 'grpc_inference_port=0', 'grpc_management_port=0', 'disable_system_metrics=true'];
    writeFileSync(join(dir, 'config', 'config.properties'), `${props.join('\n')}\n`);
    env = { ...process.env, NSERVE_PID_FILE: join(dir, 'server.pid'), LOG_LOCATION: join(dir, 'logs'), TMPDIR: dir, KUBERNETES_SERVICE_HOST: '10.96.0.1' };
    delete env.PORT;
  });
  const argv = (dir: string) => ['torchserve', '--start', `--model-store=${join(dir, 'model-store')}`, `--ts-config=${join(dir, 'config', 'config.properties')}`, '--disable-token-auth', '--ncs'];

  it('`torchserve --start …` inside a Kubernetes pod serves in the foreground and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, ...argv(dir)], { cwd: dir, env });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start: ${out}`)), 30_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('Model server started.')) {
            clearTimeout(timer);
            resolve();
          }
        });
        void exited.then((code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      expect(out).toContain('--start: serving in the foreground (inside a Kubernetes pod');
      // The process KServe started is the server itself, not a launcher that exits.
      expect(readFileSync(env.NSERVE_PID_FILE!, 'utf8')).toBe(String(child.pid));
      await new Promise((r) => setTimeout(r, 300));
      expect(child.exitCode).toBeNull();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('an invalid NSERVE_KSERVE_PORT is a one-line start-up error (exit 2)', () => {
    const res = spawnSync(process.execPath, [BIN, ...argv(dir)], { cwd: dir, env: { ...env, NSERVE_KSERVE_PORT: '80800' }, encoding: 'utf8' });
    expect(res.status).toBe(2);
    expect(res.stderr.trim().split('\n').pop()).toBe('nserve: invalid value for NSERVE_KSERVE_PORT: "80800" (expected a port number from 1 to 65534)');
  });
});
