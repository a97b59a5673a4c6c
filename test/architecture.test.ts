/**
 * The dependency rule (ARCHITECTURE.md): protocols -> services -> core -> leaves, and each
 * heavy third-party library confined to one folder. Scans every import specifier under src/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', 'src');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
  });
}

interface ImportEdge {
  file: string; // relative to src, posix
  spec: string;
  target: string | undefined; // relative to src when the import is local
}

function importsOf(file: string): ImportEdge[] {
  const text = readFileSync(file, 'utf8');
  const edges: ImportEdge[] = [];
  const re = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec === undefined) continue;
    const rel = relative(root, file).split(sep).join('/');
    const target = spec.startsWith('.')
      ? relative(root, resolve(dirname(file), spec)).split(sep).join('/')
      : undefined;
    edges.push({ file: rel, spec, target });
  }
  return edges;
}

const edges = walk(root).flatMap(importsOf);
const top = (p: string) => p.split('/')[0] ?? '';

function violations(pred: (e: ImportEdge) => boolean): string[] {
  return edges.filter(pred).map((e) => `${e.file} imports ${e.spec}`);
}

const coreFolders = ['inference', 'management', 'registry', 'batching', 'workers', 'archive', 'handlers', 'metrics', 'auth', 'config', 'core', 'errors', 'util'];

describe('dependency rule', () => {
  it('finds the source tree', () => {
    expect(edges.length).toBeGreaterThan(0);
  });

  it('core folders never import protocols, fastify or grpc', () => {
    expect(
      violations(
        (e) =>
          coreFolders.includes(top(e.file)) &&
          (e.target?.startsWith('protocols') === true || /^(fastify|@fastify\/|@grpc\/)/.test(e.spec)),
      ),
    ).toEqual([]);
  });

  it('protocols reach the core only through the service facades', () => {
    const forbidden = ['registry', 'batching', 'workers', 'handlers', 'core', 'archive'];
    expect(
      violations((e) => top(e.file) === 'protocols' && e.target !== undefined && forbidden.includes(top(e.target))),
    ).toEqual([]);
  });

  // src/tools holds the offline model builders and their bench CLI: separate programs that
  // never run in the server process, so they may verify models with onnxruntime-node.
  it.each([
    ['onnxruntime-node', ['handlers', 'tools']],
    ['sharp', ['handlers']],
    ['yauzl', ['archive']],
    ['yazl', ['archive', 'archiver', 'tools']],
    ['prom-client', ['metrics']],
    ['onnx-proto', ['tools']],
  ])('%s is confined to %j', (lib, allowed) => {
    expect(violations((e) => e.spec === lib && !allowed.includes(top(e.file)))).toEqual([]);
  });

  it('errors, util and inference/types are leaves', () => {
    const leaf = (f: string) => f.startsWith('errors/') || f.startsWith('util/') || f === 'inference/types.ts';
    expect(
      violations((e) => leaf(e.file) && e.target !== undefined && !top(e.target).match(/^(errors|util)$/) && !e.target.startsWith(top(e.file))),
    ).toEqual([]);
  });

  it('the server never imports the model builders (src/tools)', () => {
    expect(violations((e) => top(e.file) !== 'tools' && e.target !== undefined && top(e.target) === 'tools')).toEqual([]);
  });
});
