/**
 * Resolves a handler string to a handler instance, inside a worker thread.
 *
 * - `name` of a built-in handler (`onnx`, `echo`, `stable_diffusion_xl`) → that handler, unless
 *   the model directory has a `name.js` (a model's own code wins, as in TorchServe, where the
 *   model's module is imported before `ts.torch_handler.<name>`);
 * - `file.js`, `file.mjs`, `file` (→ `file.js`) or any of these followed by `:ExportName` → the
 *   module inside the model directory; its default export (or `ExportName`) must be a class
 *   (instantiated with `new`) or an object with a `handle` function.
 * The file must resolve inside the model directory: `../x.js` and absolute paths are refused.
 */
import { access } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidModelError } from '../errors/index.js';
import type { Handler } from '../handlers/handler.js';
import { builtinHandlers, isBuiltinHandler } from '../handlers/index.js';

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

function instantiate(exported: unknown, what: string): Handler {
  if (typeof exported === 'function') return new (exported as new () => Handler)();
  if (typeof exported === 'object' && exported !== null && typeof (exported as Handler).handle === 'function') {
    return exported as Handler;
  }
  throw new InvalidModelError(`Handler ${what} does not export a handler class`);
}

export async function loadHandler(handler: string, modelDir: string): Promise<Handler> {
  const spec = handler.trim();
  if (spec === '') throw new InvalidModelError('Handler is not defined');
  const colon = spec.lastIndexOf(':');
  // `C:\x.js` is not a Windows drive here: handler files are relative to the model directory.
  const file = colon > 0 ? spec.slice(0, colon) : spec;
  const exportName = colon > 0 ? spec.slice(colon + 1) : undefined;
  const hasExt = /\.(m|c)?js$/.test(file);
  const candidate = resolve(modelDir, hasExt ? file : `${file}.js`);
  const custom = inside(resolve(modelDir), candidate) && (await exists(candidate));

  if (!custom) {
    if (/\.py$/.test(file)) {
      throw new InvalidModelError(
        `Handler ${spec} is Python code, which nserve cannot run: use a JavaScript handler (file.js[:Export]) or a built-in handler (${Object.keys(builtinHandlers).join(', ')})`,
      );
    }
    if (exportName === undefined && isBuiltinHandler(spec)) {
      const cls = await builtinHandlers[spec]!();
      return new cls();
    }
    if (!inside(resolve(modelDir), candidate)) {
      throw new InvalidModelError(`Handler file ${file} must be inside the model directory`);
    }
    throw new InvalidModelError(`Handler ${spec} is neither a built-in handler nor a file in the model archive`);
  }
  const mod = (await import(pathToFileURL(candidate).href)) as Record<string, unknown>;
  const exported = exportName === undefined ? mod.default : mod[exportName];
  if (exported === undefined) {
    throw new InvalidModelError(`Handler ${spec}: module has no ${exportName === undefined ? 'default' : `'${exportName}'`} export`);
  }
  return instantiate(exported, spec);
}
