import { describe, expect, it } from 'vitest';
import { decodeLatin1, parseModelSnapshot, parseProperties } from '../../../src/config/index.js';
import {
  escapeProperty,
  javaDateString,
  serializeSnapshot,
  snapshotFileName,
  storeProperties,
  type SnapshotModelState,
} from '../../../src/snapshot/index.js';

/** What TorchServe's reader (and nserve's) gets from the bytes on disk. */
const readBack = (text: string): Map<string, string> => parseProperties(decodeLatin1(Buffer.from(text, 'latin1')));

const model = (over: Partial<SnapshotModelState> = {}): SnapshotModelState => ({
  name: 'e',
  version: '1.0',
  defaultVersion: true,
  marName: 'e.mar',
  minWorkers: 2,
  maxWorkers: 3,
  batchSize: 4,
  maxBatchDelay: 50,
  responseTimeout: 2400,
  startupTimeout: 300,
  runtimeType: 'python',
  ...over,
});

describe('storeProperties (Java Properties.store format)', () => {
  it('escapes separators and comment starters as TorchServe snapshots show them', () => {
    const text = storeProperties([['inference_address', 'https://127.0.0.1:8443']], { comment: 'Saving snapshot', date: new Date(0) });
    expect(text.split('\n')[2]).toBe('inference_address=https\\://127.0.0.1\\:8443');
    expect(escapeProperty('a=b:c#d!e\\f', false)).toBe('a\\=b\\:c\\#d\\!e\\\\f');
  });

  it('escapes spaces everywhere in keys, only a leading one in values', () => {
    expect(escapeProperty(' a b ', true)).toBe('\\ a\\ b\\ ');
    expect(escapeProperty(' a b ', false)).toBe('\\ a b ');
  });

  it('writes control and non-ASCII characters as upper-case \\uXXXX (UTF-16 units), so the file is ASCII', () => {
    expect(escapeProperty('é\u0001\u007f😀', false)).toBe('\\u00E9\\u0001\\u007F\\uD83D\\uDE00');
    expect(escapeProperty('\t\n\r\f', false)).toBe('\\t\\n\\r\\f');
    const text = storeProperties([['clé ü', 'ünïcode 模型 😀']], { comment: 'Saving snapshot', date: new Date() });
    expect(/^[\x20-\x7e\n]*$/.test(text)).toBe(true);
  });

  it('starts with #Saving snapshot and a Java Date.toString() line', () => {
    const date = new Date(2024, 2, 5, 14, 3, 22, 123);
    const lines = storeProperties([], { comment: 'Saving snapshot', date }).split('\n');
    expect(lines[0]).toBe('#Saving snapshot');
    expect(lines[1]).toBe(`#${javaDateString(date)}`);
    expect(javaDateString(date)).toMatch(/^Tue Mar 05 14:03:22 \S+ 2024$/);
  });

  it('round-trips awkward keys and values through parseProperties', () => {
    const props = new Map([
      ['inference_address', 'https://127.0.0.1:8443'],
      ['key with spaces', '  leading and trailing  '],
      ['cors_allowed_origin', '*'],
      ['blacklist_env_vars', 'AWS_.*|SECRET=\\d+#!'],
      ['multi', 'line one\nline two\r\n\ttabbed\f'],
      ['unicode', 'café 模型 😀 \u0000'],
      ['empty', ''],
      ['#notacomment', '!neither'],
      ['colon:key=eq', 'v'],
    ]);
    const back = readBack(storeProperties(props, { comment: 'Saving snapshot', date: new Date() }));
    expect([...back]).toEqual([...props]);
  });
});

describe('serializeSnapshot', () => {
  const date = new Date(2024, 0, 2, 3, 4, 5, 6);

  it('names files yyyyMMddHHmmssSSS-<kind>.cfg in local time', () => {
    expect(snapshotFileName('startup', date)).toBe('20240102030405006-startup.cfg');
    expect(snapshotFileName('shutdown', new Date(2024, 11, 31, 23, 59, 59, 999))).toBe('20241231235959999-shutdown.cfg');
  });

  it('carries every property and a model_snapshot that parseModelSnapshot restores', () => {
    const properties = new Map([
      ['model_store', '/srv/models ü'],
      ['load_models', 'all'],
      ['model_snapshot', '{"stale": true}'],
      ['inference_address', 'http://0.0.0.0:8085'],
    ]);
    const models = [
      model(),
      model({ version: '2.0', defaultVersion: false, marName: 'e v2 ü.mar', minWorkers: 0, maxWorkers: 0 }),
      model({ name: 'mödel', marName: 'm.tar.gz', runtimeType: 'LSP', parallelLevel: 2 }),
    ];
    const text = serializeSnapshot({ properties, models, fileName: '20240102030405006-snapshot.cfg', date });
    expect(text.startsWith('#Saving snapshot\n#')).toBe(true);
    const back = readBack(text);
    expect(back.get('model_store')).toBe('/srv/models ü');
    expect(back.get('inference_address')).toBe('http://0.0.0.0:8085');
    expect([...back.keys()].filter((k) => k === 'model_snapshot')).toHaveLength(1);
    expect([...back.keys()].at(-1)).toBe('model_snapshot');

    const warnings: string[] = [];
    const snapshot = parseModelSnapshot('model_snapshot', back.get('model_snapshot')!, warnings);
    expect(warnings).toEqual([]);
    expect(snapshot.name).toBe('20240102030405006-snapshot.cfg');
    expect(snapshot.modelCount).toBe(3);
    expect(snapshot.created).toBe(date.getTime());
    expect([...snapshot.models.keys()]).toEqual(['e', 'mödel']);
    expect(snapshot.models.get('e')?.get('1.0')).toEqual({
      defaultVersion: true, marName: 'e.mar', minWorkers: 2, maxWorkers: 3, batchSize: 4, maxBatchDelay: 50,
      responseTimeout: 2400, startupTimeout: 300, runtimeType: 'python',
    });
    expect(snapshot.models.get('e')?.get('2.0')).toMatchObject({ defaultVersion: false, marName: 'e v2 ü.mar', minWorkers: 0 });
    expect(snapshot.models.get('mödel')?.get('1.0')).toMatchObject({ runtimeType: 'LSP', parallelLevel: 2 });
  });

  it('writes the JSON pretty-printed on escaped lines, with TorchServe field order', () => {
    const text = serializeSnapshot({ properties: [], models: [model()], fileName: 'x.cfg', date });
    const line = text.split('\n').find((l) => l.startsWith('model_snapshot='))!;
    expect(line.startsWith('model_snapshot={\\n  "name"\\: "x.cfg",\\n  "modelCount"\\: 1,\\n  "created"\\: ')).toBe(true);
    const json = JSON.parse(readBack(text).get('model_snapshot')!) as { models: { e: Record<string, object> } };
    expect(Object.keys(json)).toEqual(['name', 'modelCount', 'created', 'models']);
    expect(Object.keys(json.models.e['1.0']!)).toEqual([
      'defaultVersion', 'marName', 'minWorkers', 'maxWorkers', 'batchSize', 'maxBatchDelay', 'responseTimeout', 'startupTimeout', 'runtimeType',
    ]);
  });

  it('an empty server snapshots modelCount 0, which restores no models', () => {
    const text = serializeSnapshot({ properties: [], models: [], fileName: 'x.cfg', date });
    const snapshot = parseModelSnapshot('model_snapshot', readBack(text).get('model_snapshot')!, []);
    expect(snapshot.modelCount).toBe(0);
    expect(snapshot.models.size).toBe(0);
  });
});
