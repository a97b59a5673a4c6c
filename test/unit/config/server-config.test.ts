import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/errors.js';
import { buildServerConfig, parseProperties, type CliOverrides } from '../../../src/config/index.js';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'config');

function build(text: string, env: Record<string, string | undefined> = {}, cli: CliOverrides = {}, cwd?: string) {
  return buildServerConfig({ properties: parseProperties(text), env, cli, tmpdir: '/sys-tmp', ...(cwd ? { cwd } : {}) });
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('defaults', () => {
  const { config, warnings } = build('');
  it('match TorchServe 0.12 (spec §4.2)', () => {
    expect(warnings).toEqual([]);
    expect(config.inferenceAddress).toEqual({ scheme: 'http', host: '127.0.0.1', port: 8080 });
    expect(config.managementAddress).toEqual({ scheme: 'http', host: '127.0.0.1', port: 8081 });
    expect(config.metricsAddress).toEqual({ scheme: 'http', host: '127.0.0.1', port: 8082 });
    expect(config).toMatchObject({
      grpcInferenceAddress: '127.0.0.1',
      grpcInferencePort: 7070,
      grpcManagementPort: 7071,
      grpcInferenceMaxConnectionAgeMs: undefined,
      jobQueueSize: 100,
      defaultResponseTimeout: 120,
      defaultStartupTimeout: 120,
      unregisterModelTimeout: 120,
      defaultWorkersPerModel: 0,
      maxRequestSize: 6553500,
      maxResponseSize: 6553500,
      disableTokenAuthorization: false,
      tokenExpirationMin: 60,
      enableModelApi: false,
      enableMetricsApi: true,
      metricsMode: 'log',
      keystorePass: 'changeit',
      keystoreType: 'PKCS12',
      useNativeIo: true,
      decodeInputRequest: true,
      limitMaxImagePixels: true,
      tsHeaderKeySequenceId: 'ts_request_sequence_id',
      tsHeaderKeySequenceStart: 'ts_request_sequence_start',
      tsHeaderKeySequenceEnd: 'ts_request_sequence_end',
      tsOpenInferenceProtocol: false,
      modelStore: undefined,
      workflowStore: undefined,
      loadModels: [],
      modelSnapshot: undefined,
      serviceEnvelope: undefined,
      numberOfGpu: undefined,
      maxArchiveUncompressedBytes: 64 * 1024 ** 3,
      maxArchiveEntries: 100000,
      maxArchiveCompressionRatio: 200,
      tmpDir: '/sys-tmp/nserve',
      logLocation: 'logs',
      metricsLocation: 'logs',
      noConfigSnapshots: false,
    });
    expect(config.models.size).toBe(0);
  });

  it('allowed_urls default admits file:// and http(s):// URLs, full match, any case', () => {
    const ok = (u: string) => config.allowedUrls.some((r) => r.test(u));
    expect(ok('https://example.com/m.mar')).toBe(true);
    expect(ok('HTTP://example.com/m.mar')).toBe(true);
    expect(ok('file:///tmp/m.mar')).toBe(true);
    expect(ok('s3://bucket/m.mar')).toBe(false);
    expect(ok('xhttp://example.com')).toBe(false);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { jobQueueSize: number }).jobQueueSize = 1;
    }).toThrow(TypeError);
  });
});

describe('the KServe seed configuration', () => {
  const text = readFileSync(join(fixtures, 'kserve-seed.properties'), 'latin1');
  const { config, warnings } = build(text);

  it('loads unchanged, with NUM_WORKERS reported as ignored', () => {
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/NUM_WORKERS.*ignored/);
  });

  it('yields one combined listener on 0.0.0.0:8085 and the metrics listener on 8082', () => {
    expect(config.inferenceAddress).toEqual({ scheme: 'http', host: '0.0.0.0', port: 8085 });
    expect(config.managementAddress).toEqual(config.inferenceAddress);
    expect(config.metricsAddress).toEqual({ scheme: 'http', host: '0.0.0.0', port: 8082 });
  });

  it('types every value', () => {
    expect(config).toMatchObject({
      grpcInferencePort: 7070,
      grpcManagementPort: 7071,
      enableEnvvarsConfig: true,
      installPyDepPerModel: true,
      enableMetricsApi: true,
      metricsMode: 'prometheus',
      numberOfNettyThreads: 4,
      jobQueueSize: 10,
      maxResponseSize: 30000000,
      defaultResponseTimeout: 2400,
      defaultStartupTimeout: 2400,
      modelStore: '/mnt/models/model-store',
      workflowStore: '/mnt/models/model-store',
    });
  });

  it('parses model_snapshot, defaulting runtimeType', () => {
    const snap = config.modelSnapshot!;
    expect(snap.name).toBe('startup.cfg');
    expect(snap.modelCount).toBe(1);
    expect(snap.models.get('stable-diffusion')?.get('1.0')).toEqual({
      defaultVersion: true,
      marName: 'stable-diffusion.mar',
      minWorkers: 1,
      maxWorkers: 5,
      batchSize: 1,
      maxBatchDelay: 5000,
      startupTimeout: 2400,
      responseTimeout: 2400,
      runtimeType: 'python',
    });
  });

  it('honours TS_* overrides because it sets enable_envvars_config=true', () => {
    const r = build(text, { TS_SERVICE_ENVELOPE: 'kservev2', TS_JOB_QUEUE_SIZE: '3' });
    expect(r.config.serviceEnvelope).toBe('kservev2');
    expect(r.config.jobQueueSize).toBe(3);
  });
});

describe('environment overrides (spec §4.3)', () => {
  const env = {
    TS_JOB_QUEUE_SIZE: '7',
    TS_INFERENCE_ADDRESS: 'http://0.0.0.0:9999',
    TS_TOKEN_EXPIRATION_TIME_MIN: '1.5',
    TS_HEADER_KEY_SEQUENCE_ID: 'x-seq',
    TS_DISABLE_TOKEN_AUTHORIZATION: 'true',
    TS_MODEL_STORE: '/env/store',
  };

  it('are ignored without enable_envvars_config, with one warning per variable', () => {
    const { config, warnings } = build('job_queue_size=5', env);
    expect(config.jobQueueSize).toBe(5);
    expect(config.inferenceAddress.port).toBe(8080);
    expect(config.tokenExpirationMin).toBe(60);
    expect(config.disableTokenAuthorization).toBe(false);
    expect(warnings).toContain('TS_JOB_QUEUE_SIZE is set but ignored: enable_envvars_config is not true');
    expect(warnings.filter((w) => w.includes('enable_envvars_config is not true'))).toHaveLength(6);
  });

  it('apply with enable_envvars_config=true, including the irregular names', () => {
    const { config, warnings } = build('enable_envvars_config=true\njob_queue_size=5', env);
    expect(warnings).toEqual([]);
    expect(config.jobQueueSize).toBe(7);
    expect(config.inferenceAddress).toEqual({ scheme: 'http', host: '0.0.0.0', port: 9999 });
    expect(config.tokenExpirationMin).toBe(1.5);
    expect(config.tsHeaderKeySequenceId).toBe('x-seq');
    expect(config.disableTokenAuthorization).toBe(true);
    expect(config.properties.get('job_queue_size')).toBe('7');
  });

  it('cannot set keys that have no variable (models, model_snapshot, use_native_io, metric_time_interval)', () => {
    const { config, warnings } = build('enable_envvars_config=true', {
      TS_MODELS: '{"a":{"1":{}}}',
      TS_MODEL_SNAPSHOT: '{}',
      TS_USE_NATIVE_IO: 'false',
      TS_METRIC_TIME_INTERVAL: '5',
      TS_ENABLE_ENVVARS_CONFIG: 'false',
    });
    expect(config.models.size).toBe(0);
    expect(config.modelSnapshot).toBeUndefined();
    expect(config.useNativeIo).toBe(true);
    expect(config.metricTimeInterval).toBe(60);
    expect(config.enableEnvvarsConfig).toBe(true);
    expect(warnings).toHaveLength(5);
    expect(warnings[0]).toMatch(/TS_MODELS is not a configuration variable/);
  });

  it('TS_ALLOWED_URLS needs use_env_allowed_urls=true as well', () => {
    const env2 = { TS_ALLOWED_URLS: 'https://only\\.here/.*' };
    const without = build('enable_envvars_config=true', env2);
    expect(without.config.allowedUrls.some((r) => r.test('http://x/y'))).toBe(true);
    expect(without.warnings[0]).toMatch(/TS_ALLOWED_URLS is set but ignored/);
    const withFlag = build('enable_envvars_config=true\nuse_env_allowed_urls=true', env2);
    expect(withFlag.config.allowedUrls.map((r) => r.test('http://x/y'))).toEqual([false]);
    expect(withFlag.config.allowedUrls[0]!.test('HTTPS://only.here/m.mar')).toBe(true);
  });

  it.each([
    [{ TS_OPEN_INFERENCE_PROTOCOL: 'oip' }, 'ts_open_inference_protocol=false', true],
    [{ TS_OPEN_INFERENCE_PROTOCOL: 'true' }, 'ts_open_inference_protocol=true', false],
    [{}, 'ts_open_inference_protocol=true', true],
    [{}, '', false],
  ])('TS_OPEN_INFERENCE_PROTOCOL=%j with %j decides alone when set -> %s', (env2, text, expected) => {
    expect(build(text, env2).config.tsOpenInferenceProtocol).toBe(expected);
  });

  it('reads TS_MODEL_SERVER_HOME, LOG_LOCATION and METRICS_LOCATION whatever the flag says', () => {
    const { config } = build('model_server_home=/from/file', { TS_MODEL_SERVER_HOME: '/from/env', LOG_LOCATION: '/var/log/ts', METRICS_LOCATION: '/m' });
    expect(config.modelServerHome).toBe('/from/env');
    expect(config.logLocation).toBe('/var/log/ts');
    expect(config.metricsLocation).toBe('/m');
  });
});

describe('precedence env > CLI > file (spec §4.1)', () => {
  const file = 'model_store=/file/store\nload_models=a.mar\ndisable_token_authorization=false\nenable_model_api=false';

  it('CLI beats the file', () => {
    const { config } = build(file, {}, { modelStore: '/cli/store', models: ['x=x.mar', 'y.mar'], disableTokenAuth: true, enableModelApi: true, ncs: true });
    expect(config.modelStore).toBe('/cli/store');
    expect(config.loadModels).toEqual([{ name: 'x', url: 'x.mar' }, { name: undefined, url: 'y.mar' }]);
    expect(config.disableTokenAuthorization).toBe(true);
    expect(config.enableModelApi).toBe(true);
    expect(config.noConfigSnapshots).toBe(true);
  });

  it('the CLI can only enable the model API and only disable token auth', () => {
    const { config } = build('enable_model_api=true\ndisable_token_authorization=true', {}, { enableModelApi: false, disableTokenAuth: false });
    expect(config.enableModelApi).toBe(true);
    expect(config.disableTokenAuthorization).toBe(true);
  });

  it('env beats the CLI (TS_MODEL_STORE beats --model-store)', () => {
    const { config } = build(`enable_envvars_config=true\n${file}`, { TS_MODEL_STORE: '/env/store', TS_LOAD_MODELS: 'all' }, { modelStore: '/cli/store', models: ['b.mar'] });
    expect(config.modelStore).toBe('/env/store');
    expect(config.loadModels).toBe('all');
  });

  it('workflow_store defaults to the effective model_store', () => {
    expect(build('', {}, { modelStore: '/cli/store' }).config.workflowStore).toBe('/cli/store');
    expect(build('workflow_store=/w', {}, { modelStore: '/s' }).config.workflowStore).toBe('/w');
  });

  it('relative stores resolve against cwd', () => {
    const { config } = build('model_store=model-store\ntmp_dir=tmp', {}, {}, '/srv/app');
    expect(config.modelStore).toBe('/srv/app/model-store');
    expect(config.tmpDir).toBe('/srv/app/tmp');
  });
});

describe('$$VAR$$ substitution', () => {
  const text = readFileSync(join(fixtures, 'env-vars.properties'), 'latin1');

  it('replaces references with the environment, flag or not', () => {
    const { config } = build(text, { NSERVE_TEST_STORE: '/data', NSERVE_TEST_PORT: '9090' });
    expect(config.modelStore).toBe('/data/models');
    expect(config.inferenceAddress).toEqual({ scheme: 'http', host: '127.0.0.1', port: 9090 });
  });

  it('inserts replacement text literally', () => {
    expect(build('model_store=$$X_Y$$', { X_Y: '/a/$1/$$b' }).config.modelStore).toBe('/a/$1/$$b');
  });

  it('a missing variable is a ConfigError naming the key and the variable', () => {
    const err = configError(() => build(text, { NSERVE_TEST_PORT: '9090' }));
    expect(err.key).toBe('model_store');
    expect(err.message).toBe(
      'invalid value for model_store: "$$NSERVE_TEST_STORE$$/models" (expected environment variable NSERVE_TEST_STORE to be set (referenced as $$NSERVE_TEST_STORE$$))',
    );
  });

  it('needs at least two characters between the $$ (a one-letter name is left alone)', () => {
    expect(build('cors_allowed_origin=$$A$$', {}).config.corsAllowedOrigin).toBe('$$A$$');
  });
});

describe('typed values', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['false', false],
    ['yes', false],
    ['1', false],
  ])('booleans follow Boolean.parseBoolean: %s -> %s', (v, expected) => {
    const { config, warnings } = build(`enable_model_api=${v}`);
    expect(config.enableModelApi).toBe(expected);
    expect(warnings.length).toBe(/^(true|false)$/i.test(v) ? 0 : 1);
  });

  it('unknown keys are warnings, not errors', () => {
    const { warnings } = build('metrics_format=prometheus\nfoo.bar=1');
    expect(warnings).toEqual(['unknown configuration key "metrics_format" is ignored', 'unknown configuration key "foo.bar" is ignored']);
  });

  it('keys TorchServe writes into snapshots are read back silently', () => {
    expect(build('tsConfigFile=/x\nversion=0.12.0\npython=/usr/bin/python3\nnumber_of_gpu=0').warnings).toEqual([]);
  });

  it('an invalid metrics_mode falls back to log with a warning, as TorchServe does', () => {
    const { config, warnings } = build('metrics_mode=prom');
    expect(config.metricsMode).toBe('log');
    expect(warnings[0]).toMatch(/metrics_mode="prom"/);
  });

  it('parses models= JSON over continuation lines', () => {
    const { config, warnings } = build(readFileSync(join(fixtures, 'continuations.properties'), 'latin1'));
    expect(warnings).toEqual([]);
    expect(config.models.get('noop')?.get('1.0')).toEqual({ defaultVersion: true, marName: 'noop.mar', minWorkers: 2, maxWorkers: 4, batchSize: 8, maxBatchDelay: 50, responseTimeout: 30 });
    expect(config.models.get('sdxl')?.get('2.0')).toEqual({ marName: 'sdxl.mar', startupTimeout: 2400 });
    expect(config.loadModels).toEqual([{ name: 'noop', url: 'noop.mar' }, { name: undefined, url: 'sdxl.mar' }]);
    expect(config.inferenceAddress).toEqual({ scheme: 'https', host: '127.0.0.1', port: 8443 });
  });

  it('models= unknown fields are warnings', () => {
    const { warnings } = build('models={"m": {"1.0": {"minWorker": 1}}}');
    expect(warnings).toEqual(['models: unknown field models.m.1.0.minWorker is ignored']);
  });

  it('load_models=ALL is all, whatever the case', () => {
    expect(build('load_models=ALL').config.loadModels).toBe('all');
  });
});
