/**
 * The model-config YAML of an archive (`--config-file`, `model.configFile` in the manifest).
 *
 * Parsed with `yaml` (no custom tags, alias expansion capped), so the SnakeYAML-style
 * deserialisation RCE of CVE-2022-1471 has no equivalent here. TorchServe's frontend keys are
 * type-checked; a wrong type is an `InvalidModelError` naming the file and the key (TorchServe
 * only logs a warning and ignores the key: failing loudly is kinder than a silently ignored
 * `batchSize`). Unknown keys are kept. The whole document is handed to handlers as
 * `settings.modelConfig`; handler-specific keys live in the free-form `handler` section.
 */
import { parse } from 'yaml';
import { InvalidModelError } from '../errors/errors.js';

type Check = (value: unknown) => boolean;

const nonNegativeInt: Check = (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const bool: Check = (v) => typeof v === 'boolean';
const oneOf =
  (...values: string[]): Check =>
  (v) => typeof v === 'string' && values.includes(v);
const mapping: Check = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const intList: Check = (v) => Array.isArray(v) && v.every(nonNegativeInt);

/** TorchServe's frontend keys: [check, what a user should have written]. */
export const MODEL_CONFIG_KEYS: Readonly<Record<string, readonly [Check, string]>> = {
  minWorkers: [nonNegativeInt, 'a non-negative integer'],
  maxWorkers: [nonNegativeInt, 'a non-negative integer'],
  batchSize: [nonNegativeInt, 'a non-negative integer'],
  maxBatchDelay: [nonNegativeInt, 'a non-negative integer (milliseconds)'],
  responseTimeout: [nonNegativeInt, 'a non-negative integer (seconds)'],
  startupTimeout: [nonNegativeInt, 'a non-negative integer (seconds)'],
  maxRetryTimeoutInSec: [nonNegativeInt, 'a non-negative integer (seconds)'],
  clientTimeoutInMills: [nonNegativeInt, 'a non-negative integer (milliseconds)'],
  jobQueueSize: [nonNegativeInt, 'a non-negative integer'],
  deviceType: [oneOf('cpu', 'gpu', 'neuron'), 'one of cpu, gpu, neuron'],
  deviceIds: [intList, 'a list of non-negative integers'],
  parallelType: [oneOf('pp', 'tp', 'pptp', 'custom'), 'one of pp, tp, pptp, custom'],
  parallelLevel: [nonNegativeInt, 'a non-negative integer'],
  torchrun: [mapping, 'a mapping'],
  useJobTicket: [bool, 'true or false'],
  continuousBatching: [bool, 'true or false'],
  sequenceBatching: [bool, 'true or false'],
  sequenceMaxIdleMSec: [nonNegativeInt, 'a non-negative integer (milliseconds)'],
  sequenceTimeoutMSec: [nonNegativeInt, 'a non-negative integer (milliseconds)'],
  maxSequenceJobQueueSize: [nonNegativeInt, 'a non-negative integer'],
  maxNumSequence: [nonNegativeInt, 'a non-negative integer'],
  asyncCommunication: [bool, 'true or false'],
  useVenv: [bool, 'true or false'],
  handler: [mapping, 'a mapping (handler-specific settings)'],
};

/**
 * Parses model-config YAML text. `file` names the file in errors (e.g. `sdxl.mar:model-config.yaml`).
 * An empty document is `{}`.
 */
export function parseModelConfig(text: string, file: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100, prettyErrors: false, uniqueKeys: true });
  } catch (err) {
    const detail = (err as Error).message.split('\n')[0];
    throw new InvalidModelError(`Invalid model config ${file}: not valid YAML (${detail})`, { cause: err });
  }
  if (doc === null || doc === undefined) return {};
  if (!mapping(doc)) throw new InvalidModelError(`Invalid model config ${file}: the document must be a mapping of keys to values`);
  const config = doc as Record<string, unknown>;
  for (const [key, value] of Object.entries(config)) {
    const rule = MODEL_CONFIG_KEYS[key];
    if (rule === undefined || value === null) continue;
    const [check, expected] = rule;
    if (!check(value)) {
      throw new InvalidModelError(`Invalid model config ${file}: key "${key}" must be ${expected}, got ${describe(value)}`);
    }
  }
  return config;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'a mapping';
  return String(value);
}
