/** The documented root `config.properties` stays loadable, complete and truthful. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEYS, buildServerConfig, loadConfig, parseProperties } from '../../../src/config/index.js';

const root = resolve(import.meta.dirname, '..', '..', '..');
const samplePath = join(root, 'config.properties');
const text = readFileSync(samplePath, 'latin1');

describe('root config.properties sample', () => {
  it('loads with no warnings: ./model-store, load_models=all, 127.0.0.1 defaults', async () => {
    const { config, warnings, configPath } = await loadConfig({ cli: { tsConfig: 'config.properties', ncs: true }, env: {}, cwd: root });
    expect(warnings).toEqual([]);
    expect(configPath).toBe(samplePath);
    expect(config.modelStore).toBe(join(root, 'model-store'));
    expect(config.loadModels).toBe('all');
    expect(config.inferenceAddress).toEqual({ scheme: 'http', host: '127.0.0.1', port: 8080 });
    expect(config.managementAddress).toEqual({ scheme: 'http', host: '127.0.0.1', port: 8081 });
    expect(config.metricsAddress).toEqual({ scheme: 'http', host: '127.0.0.1', port: 8082 });
  });

  it('exercises continuations: the models= block spans lines and parses as JSON', () => {
    expect(text).toMatch(/^models=\{\\$/m);
    const { config } = buildServerConfig({ properties: parseProperties(text), env: {}, cli: {} });
    expect(config.models.get('example')?.get('1.0')).toMatchObject({ marName: 'example.mar', maxBatchDelay: 100, startupTimeout: 120 });
  });

  const documented = KEYS.filter((k) => k.group !== 'internal');
  it.each(documented.map((k) => [k.name, k.default ?? ''] as const))('documents %s with its default %j', (name, dflt) => {
    const lines = text.split('\n').filter((l) => l.startsWith(`# ${name}=`));
    expect(lines).toEqual([`# ${name}=${dflt}`]);
  });

  it('uncommenting every documented default changes nothing', () => {
    const uncommented = text
      .split('\n')
      .filter((l) => /^# [a-z_]+=/.test(l))
      .map((l) => l.slice(2))
      .join('\n');
    const props = parseProperties(uncommented);
    expect(props.size).toBe(documented.length);
    const a = buildServerConfig({ properties: props, env: {}, cli: {}, tmpdir: '/t' });
    const b = buildServerConfig({ properties: new Map(), env: {}, cli: {}, tmpdir: '/t' });
    expect(a.warnings).toEqual([]);
    const { properties: _pa, ...ca } = a.config;
    const { properties: _pb, ...cb } = b.config;
    expect(ca).toEqual(cb);
  });
});
