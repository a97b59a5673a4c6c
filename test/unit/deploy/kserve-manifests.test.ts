/** deploy/kserve stays consistent with what nserve accepts and with KServe's runtime contract. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseArgs } from '../../../src/cli/args.js';
import { buildServerConfig, parseProperties } from '../../../src/config/index.js';

const dir = resolve(import.meta.dirname, '..', '..', '..', 'deploy', 'kserve');
type Json = Record<string, any>;
const runtime = parse(readFileSync(join(dir, 'cluster-serving-runtime.yaml'), 'utf8')) as Json;
const isvc = parse(readFileSync(join(dir, 'sdxl-inferenceservice.yaml'), 'utf8')) as Json;

describe('deploy/kserve', () => {
  it("the runtime's argv (KServe's kserve-torchserve args + --disable-token-auth) parses as a start from /mnt/models", () => {
    const container = runtime.spec.containers[0];
    expect(container.name).toBe('kserve-container');
    expect(container.args.slice(0, 4)).toEqual(['torchserve', '--start', '--model-store=/mnt/models/model-store', '--ts-config=/mnt/models/config/config.properties']);
    expect(parseArgs(container.args)).toMatchObject({ action: 'start', modelStore: '/mnt/models/model-store', tsConfig: '/mnt/models/config/config.properties', disableTokenAuth: true });
  });

  it('declares what KServe keys TorchServe behaviour on, and no ports', () => {
    expect(runtime.metadata.annotations['serving.kserve.io/server-type']).toBe('torchserve');
    expect(runtime.spec.annotations['prometheus.kserve.io/port']).toBe('8082');
    expect(runtime.spec.protocolVersions).toEqual(['v1', 'v2', 'grpc-v2']);
    expect(runtime.spec.supportedModelFormats.map((f: Json) => f.name)).toEqual(['pytorch', 'onnx']);
    const container = runtime.spec.containers[0];
    expect(container.ports).toBeUndefined();
    expect(container.env).toEqual([{ name: 'TS_SERVICE_ENVELOPE', value: '{{.Labels.serviceEnvelope}}' }]);
    expect(container.securityContext).toMatchObject({ runAsUser: 1000, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  });

  it('the SDXL InferenceService uses the runtime, a GPU, a 1800 s timeout and one request per pod', () => {
    const predictor = isvc.spec.predictor;
    expect(predictor.model.runtime).toBe(runtime.metadata.name);
    expect(predictor.model.resources.limits['nvidia.com/gpu']).toBe('1');
    expect(predictor.timeout).toBe(1800);
    expect(predictor.containerConcurrency).toBe(1);
    const tmp = predictor.model.env.find((e: Json) => e.name === 'TMPDIR').value;
    expect(predictor.model.volumeMounts.map((m: Json) => m.mountPath)).toContain(tmp);
  });

  it("the SDXL config.properties loads without warnings and names the model from the snapshot", () => {
    const text = readFileSync(join(dir, 'sdxl', 'config', 'config.properties'), 'latin1');
    const { config, warnings } = buildServerConfig({ properties: parseProperties(text), env: {}, cli: {} });
    expect(warnings).toEqual([]);
    expect(config.inferenceAddress).toEqual({ scheme: 'http', host: '0.0.0.0', port: 8085 });
    expect(config.modelSnapshot?.models.get('stable-diffusion')?.get('1.0')).toMatchObject({ marName: 'stable-diffusion.mar', responseTimeout: 1800, startupTimeout: 1800 });
  });
});
