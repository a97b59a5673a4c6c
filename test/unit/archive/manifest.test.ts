import { describe, expect, it } from 'vitest';
import { buildManifest, emptyManifest, formatCreatedOn, manifestJson, parseManifest, validateManifest } from '../../../src/archive/manifest.js';
import { InvalidModelError } from '../../../src/errors/errors.js';

describe('parseManifest', () => {
  it('reads what torch-model-archiver writes', () => {
    const text = JSON.stringify({
      createdOn: '22/11/2024 10:00:00',
      runtime: 'python',
      model: { modelName: 'mnist', serializedFile: 'mnist_cnn.pt', handler: 'mnist_handler.py', modelFile: 'mnist.py', modelVersion: '1.0', configFile: 'c.yaml' },
      archiverVersion: '0.12.0',
    });
    expect(parseManifest(text, 'mnist.mar')).toEqual({
      createdOn: '22/11/2024 10:00:00',
      runtime: 'python',
      model: { modelName: 'mnist', serializedFile: 'mnist_cnn.pt', handler: 'mnist_handler.py', modelFile: 'mnist.py', modelVersion: '1.0', configFile: 'c.yaml' },
      archiverVersion: '0.12.0',
    });
  });

  it('applies TorchServe defaults: runtime python, version 1.0, empty model', () => {
    expect(parseManifest('{"model":{"modelName":"a"}}', 'a.mar')).toEqual({ runtime: 'python', model: { modelName: 'a', modelVersion: '1.0' } });
    expect(parseManifest('{}', 'a.mar')).toEqual(emptyManifest());
    expect(parseManifest('{"model":{"modelName":"a","version":"3"}}', 'a.mar').model.modelVersion).toBe('3');
    expect(parseManifest('{"model":{"modelName":"a","modelVersion":2}}', 'a.mar').model.modelVersion).toBe('2');
    expect(parseManifest('\uFEFF{"model":{"modelName":"bom"}}', 'a.mar').model.modelName).toBe('bom');
  });

  it('names the archive and the field in errors', () => {
    const cases: [string, string][] = [
      ['{"model": ', 'Failed to parse signature.json. (x.mar: MAR-INF/MANIFEST.json is not valid JSON: '],
      ['[]', 'Invalid MAR-INF/MANIFEST.json in x.mar: field "(root)" must be a JSON object'],
      ['{"model": null}', 'Missing Model entry in manifest file. (x.mar: MAR-INF/MANIFEST.json has no "model")'],
      ['{"model": "m"}', 'Invalid MAR-INF/MANIFEST.json in x.mar: field "model" must be an object'],
      ['{"model": {"modelName": 7}}', 'Invalid MAR-INF/MANIFEST.json in x.mar: field "model.modelName" must be a string'],
      ['{"model": {"handler": ["a"]}}', 'Invalid MAR-INF/MANIFEST.json in x.mar: field "model.handler" must be a string'],
      ['{"runtime": 3, "model": {}}', 'Invalid MAR-INF/MANIFEST.json in x.mar: field "runtime" must be a string'],
    ];
    for (const [text, message] of cases) {
      let caught: unknown;
      try {
        parseManifest(text, 'x.mar');
      } catch (err) {
        caught = err;
      }
      expect(caught, text).toBeInstanceOf(InvalidModelError);
      expect((caught as Error).message.startsWith(message), `${text} -> ${(caught as Error).message}`).toBe(true);
    }
  });
});

describe('validateManifest', () => {
  it('uses TorchServe\'s messages', () => {
    expect(() => validateManifest(parseManifest('{"model":{}}', 'x.mar'), 'x.mar')).toThrow(/^Model name is not defined\./);
    expect(() => validateManifest(parseManifest('{"runtime":"python4","model":{"modelName":"a"}}', 'x.mar'), 'x.mar')).toThrow(/^Runtime is not defined or invalid\./);
    expect(() => validateManifest(parseManifest('{"runtime":null,"model":{"modelName":"a"}}', 'x.mar'), 'x.mar')).toThrow(/^Runtime is not defined or invalid\./);
    for (const runtime of ['python', 'python3', 'LSP']) {
      expect(() => validateManifest({ runtime, model: { modelName: 'a', modelVersion: '1' } }, 'x.mar')).not.toThrow();
    }
  });
});

describe('buildManifest', () => {
  it('writes torch-model-archiver\'s keys in its order, omitting absent files', () => {
    const manifest = buildManifest({
      modelName: 'sdxl',
      modelVersion: '1.0',
      handler: 'stable_diffusion_xl',
      serializedFile: 'model.zip',
      configFile: 'model-config.yaml',
      archiverVersion: '0.1.0',
      createdOn: new Date(2024, 0, 5, 7, 8, 9),
    });
    expect(Object.keys(manifest)).toEqual(['createdOn', 'runtime', 'model', 'archiverVersion']);
    expect(Object.keys(manifest.model)).toEqual(['modelName', 'serializedFile', 'handler', 'modelVersion', 'configFile']);
    expect(manifest.createdOn).toBe('05/01/2024 07:08:09');
    expect(manifest.runtime).toBe('python');
    expect(manifestJson(manifest)).toBe(JSON.stringify(manifest, null, 2));
    expect(parseManifest(manifestJson(manifest), 'round-trip')).toEqual(manifest);
  });

  it('formats createdOn as DD/MM/YYYY HH:MM:SS local time', () => {
    expect(formatCreatedOn(new Date(2023, 11, 31, 23, 59, 58))).toBe('31/12/2023 23:59:58');
  });
});
