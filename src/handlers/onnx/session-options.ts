/**
 * onnxruntime session options of the `onnx` handler, read from the model-config YAML. Keys are
 * looked up at the top level, then in a `handler:` section, then in an `onnx:` section (later
 * wins): `executionProviders` (list of names or `{name, ...}` objects), `intraOpNumThreads`,
 * `interOpNumThreads`, `graphOptimizationLevel` (`disabled|basic|extended|all`),
 * `executionMode` (`sequential|parallel`), `enableCpuMemArena`, `enableMemPattern`,
 * `allowSpinning` (default false: idle worker threads must not burn CPU beside other workers).
 */
import type { InferenceSession } from 'onnxruntime-node';

type Options = InferenceSession.SessionOptions;

const section = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

export function sessionOptionsFrom(modelConfig: Record<string, unknown>): Options {
  const c = { ...modelConfig, ...section(modelConfig.handler), ...section(modelConfig.onnx) };
  const options: Options = {};
  const int = (k: string): number | undefined => (typeof c[k] === 'number' && Number.isInteger(c[k]) ? (c[k] as number) : undefined);
  const bool = (k: string): boolean | undefined => (typeof c[k] === 'boolean' ? (c[k] as boolean) : undefined);
  if (Array.isArray(c.executionProviders)) options.executionProviders = c.executionProviders as Options['executionProviders'];
  const intra = int('intraOpNumThreads');
  if (intra !== undefined) options.intraOpNumThreads = intra;
  const inter = int('interOpNumThreads');
  if (inter !== undefined) options.interOpNumThreads = inter;
  const level = c.graphOptimizationLevel;
  if (level === 'disabled' || level === 'basic' || level === 'extended' || level === 'all') options.graphOptimizationLevel = level;
  if (c.executionMode === 'sequential' || c.executionMode === 'parallel') options.executionMode = c.executionMode;
  const arena = bool('enableCpuMemArena');
  if (arena !== undefined) options.enableCpuMemArena = arena;
  const pattern = bool('enableMemPattern');
  if (pattern !== undefined) options.enableMemPattern = pattern;
  const spin = bool('allowSpinning') === true ? '1' : '0';
  options.extra = { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } };
  return options;
}
