/**
 * Built-in handlers by name (the `handler` string of a manifest or of a register call).
 * Each entry imports its module lazily, inside the worker thread that needs it, so the main
 * thread never loads onnxruntime-node and a missing optional handler breaks only the models
 * that name it.
 */
import type { HandlerClass } from './handler.js';

export type HandlerFactory = () => Promise<HandlerClass>;

async function defaultExport(specifier: string): Promise<HandlerClass> {
  const mod = (await import(specifier)) as { default?: unknown };
  if (typeof mod.default !== 'function') throw new Error(`built-in handler module ${specifier} has no default export class`);
  return mod.default as HandlerClass;
}

/** Name → lazy factory. `stable_diffusion_xl` lives in handlers/sdxl (its own helper's module). */
export const builtinHandlers: Readonly<Record<string, HandlerFactory>> = Object.freeze({
  onnx: () => defaultExport('./onnx/index.js'),
  echo: () => defaultExport('./echo/index.js'),
  stable_diffusion_xl: () => defaultExport('./sdxl/index.js'),
});

export function isBuiltinHandler(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(builtinHandlers, name);
}
