import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../../src/archive/model-config.js';

describe('parseModelConfig', () => {
  it('keeps every key, the free-form handler section included', () => {
    const text = [
      'minWorkers: 1',
      'maxWorkers: 2',
      'batchSize: 4',
      'maxBatchDelay: 200',
      'responseTimeout: 300',
      'startupTimeout: 600',
      'maxRetryTimeoutInSec: 60',
      'clientTimeoutInMills: 0',
      'jobQueueSize: 10',
      'deviceType: gpu',
      'deviceIds: [0, 1]',
      'parallelType: tp',
      'continuousBatching: false',
      'torchrun:',
      '  nproc-per-node: 2',
      'handler:',
      '  model_path: model/',
      '  steps: 30',
      'customKey: kept',
    ].join('\n');
    expect(parseModelConfig(text, 'sdxl.mar:model-config.yaml')).toEqual({
      minWorkers: 1,
      maxWorkers: 2,
      batchSize: 4,
      maxBatchDelay: 200,
      responseTimeout: 300,
      startupTimeout: 600,
      maxRetryTimeoutInSec: 60,
      clientTimeoutInMills: 0,
      jobQueueSize: 10,
      deviceType: 'gpu',
      deviceIds: [0, 1],
      parallelType: 'tp',
      continuousBatching: false,
      torchrun: { 'nproc-per-node': 2 },
      handler: { model_path: 'model/', steps: 30 },
      customKey: 'kept',
    });
  });

  it('treats an empty document as no settings', () => {
    expect(parseModelConfig('', 'f.yaml')).toEqual({});
    expect(parseModelConfig('# only a comment\n', 'f.yaml')).toEqual({});
  });

  it('names the file and the key on a wrong type', () => {
    const cases: [string, string][] = [
      ['batchSize: "4"', 'Invalid model config f.yaml: key "batchSize" must be a non-negative integer, got "4"'],
      ['maxWorkers: -1', 'Invalid model config f.yaml: key "maxWorkers" must be a non-negative integer, got -1'],
      ['responseTimeout: 1.5', 'Invalid model config f.yaml: key "responseTimeout" must be a non-negative integer (seconds), got 1.5'],
      ['deviceType: tpu', 'Invalid model config f.yaml: key "deviceType" must be one of cpu, gpu, neuron, got "tpu"'],
      ['useVenv: yes please', 'Invalid model config f.yaml: key "useVenv" must be true or false, got "yes please"'],
      ['handler: [1, 2]', 'Invalid model config f.yaml: key "handler" must be a mapping (handler-specific settings), got a list'],
      ['deviceIds: [0, "a"]', 'Invalid model config f.yaml: key "deviceIds" must be a list of non-negative integers, got a list'],
    ];
    for (const [text, message] of cases) expect(() => parseModelConfig(text, 'f.yaml'), text).toThrow(message);
  });

  it('rejects invalid YAML, non-mapping documents and duplicate keys', () => {
    expect(() => parseModelConfig('a: [1, 2', 'f.yaml')).toThrow(/^Invalid model config f\.yaml: not valid YAML/);
    expect(() => parseModelConfig('- 1\n- 2\n', 'f.yaml')).toThrow('Invalid model config f.yaml: the document must be a mapping of keys to values');
    expect(() => parseModelConfig('batchSize: 1\nbatchSize: 2\n', 'f.yaml')).toThrow(/not valid YAML/);
  });

  it('refuses alias bombs (billion laughs)', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`${cur}: &${cur} [${Array(10).fill(`*${prev}`).join(',')}]`);
    }
    expect(() => parseModelConfig(lines.join('\n'), 'f.yaml')).toThrow(/not valid YAML/);
  });
});
