import { describe, expect, it } from 'vitest';
import { resolveModelSettings, type ModelSettingsSources } from '../../../src/config/index.js';
import type { SnapshotModelVersion } from '../../../src/config/index.js';

const defaults = { defaultWorkersPerModel: 0, defaultResponseTimeout: 600, defaultStartupTimeout: 900, jobQueueSize: 100 };
const resolve = (s: Omit<ModelSettingsSources, 'defaults'> & { defaults?: Partial<typeof defaults> }) =>
  resolveModelSettings({ ...s, defaults: { ...defaults, ...s.defaults } });

const snapshot: SnapshotModelVersion = {
  defaultVersion: true,
  marName: 'm.mar',
  minWorkers: 3,
  maxWorkers: 6,
  batchSize: 4,
  maxBatchDelay: 5000,
  responseTimeout: 2400,
  startupTimeout: 2500,
  runtimeType: 'python',
};

describe('resolveModelSettings: batching', () => {
  it.each<[string, Omit<ModelSettingsSources, 'defaults'>, number, number]>([
    ['built-in defaults', {}, 1, 100],
    ['models= entry', { properties: { batchSize: 8, maxBatchDelay: 50 } }, 8, 50],
    ['models= values <= 0 are ignored', { properties: { batchSize: 0, maxBatchDelay: -1 } }, 1, 100],
    ['YAML beats models=', { yaml: { batchSize: 4, maxBatchDelay: 20 }, properties: { batchSize: 8, maxBatchDelay: 50 } }, 4, 20],
    ['YAML batchSize is raised to >= 1; YAML maxBatchDelay 0 means unset', { yaml: { batchSize: 0, maxBatchDelay: 0 }, properties: { batchSize: 8, maxBatchDelay: 50 } }, 1, 50],
    ['API beats YAML and models=', { api: { batchSize: 2, maxBatchDelay: 7 }, yaml: { batchSize: 4, maxBatchDelay: 20 }, properties: { batchSize: 8 } }, 2, 7],
    ['API not given falls through', { api: {}, yaml: { batchSize: 4 } }, 4, 100],
    ['snapshot beats everything', { snapshot, api: { batchSize: 2 }, yaml: { batchSize: 16 } }, 4, 5000],
  ])('%s', (_name, sources, batchSize, maxBatchDelay) => {
    const s = resolve(sources);
    expect([s.batchSize, s.maxBatchDelay]).toEqual([batchSize, maxBatchDelay]);
  });
});

describe('resolveModelSettings: timeouts (spec §2.2, minus the YAML 120 s quirk)', () => {
  it.each<[string, Omit<ModelSettingsSources, 'defaults'>, number, number]>([
    ['default_*_timeout', {}, 600, 900],
    ['API beats the defaults', { api: { responseTimeout: 30, startupTimeout: 40 } }, 30, 40],
    ['models= (>0) beats the API when there is no YAML', { api: { responseTimeout: 30 }, properties: { responseTimeout: 45, startupTimeout: 0 } }, 45, 900],
    ['a YAML value always wins', { api: { responseTimeout: 30, startupTimeout: 40 }, yaml: { responseTimeout: 70, startupTimeout: 80 }, properties: { responseTimeout: 45 } }, 70, 80],
    ['a YAML without the keys does not cut timeouts to 120 (TorchServe does; nserve differs)', { api: { responseTimeout: 30 }, yaml: { handler: { x: 1 } } }, 30, 900],
    ['a YAML value <= 0 falls to models=, then API, then default', { api: { responseTimeout: 30 }, yaml: { responseTimeout: 0, startupTimeout: -1 }, properties: { startupTimeout: 55 } }, 30, 55],
    ['snapshot values win over the YAML', { snapshot, yaml: { responseTimeout: 70 } }, 2400, 2500],
  ])('%s', (_name, sources, responseTimeout, startupTimeout) => {
    const s = resolve(sources);
    expect([s.responseTimeout, s.startupTimeout]).toEqual([responseTimeout, startupTimeout]);
  });
});

describe('resolveModelSettings: workers', () => {
  it.each<[string, Omit<ModelSettingsSources, 'defaults'> & { defaults?: Partial<typeof defaults> }, number, number]>([
    ['register: no initial_workers and default_workers_per_model=0 -> no workers', { api: {} }, 0, 0],
    ['register: default_workers_per_model is the default initial_workers', { api: {}, defaults: { defaultWorkersPerModel: 2 } }, 2, 2],
    ['register: initial_workers sets min = max', { api: { initialWorkers: 3 } }, 3, 3],
    ['register: negative initial_workers means none', { api: { initialWorkers: -2 } }, 0, 0],
    ['register: a valid YAML pair overrides initial_workers', { api: { initialWorkers: 3 }, yaml: { minWorkers: 1, maxWorkers: 4 } }, 1, 4],
    ['register: an invalid YAML pair (max < min) is ignored', { api: { initialWorkers: 3 }, yaml: { minWorkers: 5, maxWorkers: 4 } }, 3, 3],
    ['register: YAML minWorkers 0 is raised to 1', { api: { initialWorkers: 3 }, yaml: { minWorkers: 0, maxWorkers: 2 } }, 1, 2],
    ['register: models= does not set workers', { api: { initialWorkers: 1 }, properties: { minWorkers: 4, maxWorkers: 8 } }, 1, 1],
    ['start-up: startupWorkers when default_workers_per_model=0', { startupWorkers: 4 }, 4, 4],
    ['start-up: default_workers_per_model', { startupWorkers: 4, defaults: { defaultWorkersPerModel: 2 } }, 2, 2],
    ['start-up: models= min and max', { properties: { minWorkers: 2, maxWorkers: 5 } }, 2, 5],
    ['start-up: models= max defaults to min', { properties: { minWorkers: 2 } }, 2, 2],
    ['start-up: YAML beats models=', { properties: { minWorkers: 2, maxWorkers: 5 }, yaml: { minWorkers: 1, maxWorkers: 1 } }, 1, 1],
    ['restore: snapshot wins over YAML', { snapshot, yaml: { minWorkers: 1, maxWorkers: 1 } }, 3, 6],
  ])('%s', (_name, sources, min, max) => {
    const s = resolve(sources);
    expect([s.minWorkers, s.maxWorkers]).toEqual([min, max]);
  });
});

describe('resolveModelSettings: queue, retries, YAML passthrough', () => {
  it('jobQueueSize: YAML (>0) beats job_queue_size', () => {
    expect(resolve({}).jobQueueSize).toBe(100);
    expect(resolve({ defaults: { jobQueueSize: 10 } }).jobQueueSize).toBe(10);
    expect(resolve({ yaml: { jobQueueSize: 3 }, defaults: { jobQueueSize: 10 } }).jobQueueSize).toBe(3);
    expect(resolve({ yaml: { jobQueueSize: 0 }, defaults: { jobQueueSize: 10 } }).jobQueueSize).toBe(10);
  });

  it('maxRetryTimeoutInSec: YAML, else 300', () => {
    expect(resolve({}).maxRetryTimeoutInSec).toBe(300);
    expect(resolve({ yaml: { maxRetryTimeoutInSec: 5 } }).maxRetryTimeoutInSec).toBe(5);
  });

  it('passes the YAML through for handlers and freezes the result', () => {
    const yaml = { handler: { steps: 30 }, batchSize: 2 };
    const s = resolve({ yaml });
    expect(s.modelConfig).toBe(yaml);
    expect(resolve({}).modelConfig).toEqual({});
    expect(Object.isFrozen(s)).toBe(true);
  });

  it('ignores YAML values of the wrong type with a warning', () => {
    const warnings: string[] = [];
    const s = resolve({ yaml: { batchSize: 'four', responseTimeout: '30', minWorkers: 1.5 }, warn: (m) => warnings.push(m) });
    expect(s.batchSize).toBe(1);
    expect(s.responseTimeout).toBe(600);
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/minWorkers: 1.5 is not an integer/);
  });
});
