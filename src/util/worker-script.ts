/**
 * Locates the compiled JavaScript of a worker-thread entry that sits beside the calling module.
 *
 * Worker threads load JavaScript, not TypeScript. When the caller runs compiled (`dist/.../x.js`)
 * the worker script is its sibling. When the caller is TypeScript run directly (vitest or tsx
 * load `src/.../x.ts`), the sibling lives under `dist/` instead: the last `/src/` path segment
 * of the caller's URL is replaced with `/dist/`. Run `npm run build` first in that case.
 *
 * `name` is the worker module's file name, with or without `.js` (`'extract-worker'`).
 */
export function workerScriptUrl(importMetaUrl: string, name: string): URL {
  const fileName = name.endsWith('.js') ? name : `${name}.js`;
  const sibling = new URL(fileName, importMetaUrl);
  if (!/\.[cm]?ts$/.test(new URL(importMetaUrl).pathname)) return sibling;
  const path = sibling.pathname;
  const at = path.lastIndexOf('/src/');
  if (at < 0) {
    throw new Error(`cannot locate compiled worker script ${fileName} for ${importMetaUrl}: no /src/ segment to map to /dist/`);
  }
  const compiled = new URL(sibling.href);
  compiled.pathname = `${path.slice(0, at)}/dist/${path.slice(at + '/src/'.length)}`;
  return compiled;
}
