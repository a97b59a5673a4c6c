/**
 * Turns one decoded request body into validated input tensors for the `onnx` handler. Three body
 * forms are accepted (all JSON):
 * - `{"<input name>": <nested array>, ...}`;
 * - a bare nested array (or scalar) for a model with exactly one input: the tensor of that input
 *   (what a KServe v1 / TF-Serving `instances` entry is for such a model);
 * - KServe v2: `{"id"?, "inputs": [{"name", "shape", "datatype", "data"}, ...]}` (`data` flat or
 *   nested; `shape` must match its element count).
 * Each input must be named by the model exactly once, with a matching shape and element type.
 * In the first two forms a request may also give **one row** without the batch dimension (every
 * input one rank short of a model whose first dimension is dynamic): that is a batch of one,
 * and the answer drops the batch dimension again (`row`).
 */
import { InvalidInputError } from '../../errors/index.js';
import {
  ORT_TO_V2, checkShape, describeSpec, flattenNested, formatShape, isDynamic, toTensorData,
  type FlatTensor, type InputSpec,
} from './tensor-codec.js';

export interface ParsedTensor {
  dims: number[];
  data: unknown;
}

export interface ParsedRequest {
  form: 'map' | 'bare' | 'v2';
  /** One row given without the batch dimension (added here; the answer leaves it out). */
  row: boolean;
  id?: string;
  tensors: Map<string, ParsedTensor>;
}

function asJson(body: unknown): unknown {
  let value = body;
  if (value instanceof Uint8Array) value = new TextDecoder().decode(value);
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new InvalidInputError('Request body is not JSON: send an object mapping input names to nested arrays');
    }
  }
  const json = typeof value === 'object' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string';
  if (!json || value === null) throw new InvalidInputError('Request body must be a JSON object mapping input names to nested arrays');
  return value;
}

/** Every given input is one rank short of a model input whose first dimension is dynamic. */
function isRow(raw: readonly [string, FlatTensor, string | undefined][], specs: ReadonlyMap<string, InputSpec>): boolean {
  if (raw.length === 0) return false;
  return raw.every(([name, flat]) => {
    const spec = specs.get(name);
    return spec !== undefined && spec.shape.length === flat.dims.length + 1 && isDynamic(spec.shape[0]!);
  });
}

function fromV2(entry: unknown, specs: Map<string, InputSpec>): [string, FlatTensor, string | undefined] {
  if (typeof entry !== 'object' || entry === null) throw new InvalidInputError('Each element of "inputs" must be an object');
  const e = entry as Record<string, unknown>;
  if (typeof e.name !== 'string') throw new InvalidInputError('Each element of "inputs" needs a string "name"');
  const flat = flattenNested(e.data, e.name);
  if (e.shape !== undefined) {
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
      throw new InvalidInputError(`Input '${e.name}': "shape" must be a list of non-negative integers`);
    }
    const dims = e.shape as number[];
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== flat.values.length) {
      throw new InvalidInputError(`Input '${e.name}': shape ${formatShape(dims)} needs ${count} elements, "data" has ${flat.values.length}`);
    }
    flat.dims = dims;
  }
  return [e.name, flat, typeof e.datatype === 'string' ? e.datatype : undefined];
}

export function parseRequest(body: unknown, inputs: readonly InputSpec[]): ParsedRequest {
  const value = asJson(body);
  const specs = new Map(inputs.map((s) => [s.name, s]));
  const expected = inputs.map((s) => s.name).join(', ');
  let form: ParsedRequest['form'];
  let raw: [string, FlatTensor, string | undefined][];
  if (typeof value !== 'object' || Array.isArray(value)) {
    if (inputs.length !== 1) {
      throw new InvalidInputError(`A bare array is one tensor, but the model has ${inputs.length} inputs (${expected}): send an object mapping input names to nested arrays`);
    }
    form = 'bare';
    raw = [[inputs[0]!.name, flattenNested(value, inputs[0]!.name), undefined]];
  } else {
    const obj = value as Record<string, unknown>;
    form = Array.isArray(obj.inputs) && !specs.has('inputs') ? 'v2' : 'map';
    raw =
      form === 'v2'
        ? (obj.inputs as unknown[]).map((e) => fromV2(e, specs))
        : Object.entries(obj).map(([name, v]) => [name, flattenNested(v, name), undefined]);
  }
  const row = form !== 'v2' && isRow(raw, specs);
  if (row) for (const [, flat] of raw) flat.dims.unshift(1);
  const tensors = new Map<string, ParsedTensor>();
  for (const [name, flat, datatype] of raw) {
    const spec = specs.get(name);
    if (spec === undefined) throw new InvalidInputError(`Unknown input '${name}': the model's inputs are ${expected}`);
    if (tensors.has(name)) throw new InvalidInputError(`Input '${name}' is given twice`);
    if (datatype !== undefined && datatype.toUpperCase() !== ORT_TO_V2[spec.type]) {
      throw new InvalidInputError(`Input '${name}' has datatype ${datatype}, expected ${ORT_TO_V2[spec.type]}`);
    }
    checkShape(spec, flat.dims);
    tensors.set(name, { dims: flat.dims, data: toTensorData(spec, flat.values) });
  }
  for (const spec of inputs) {
    if (!tensors.has(spec.name)) throw new InvalidInputError(`Missing input '${spec.name}' (${describeSpec(spec)}): the model's inputs are ${expected}`);
  }
  const parsed: ParsedRequest = { form, row, tensors };
  const id = form === 'v2' ? (value as Record<string, unknown>).id : undefined;
  if (typeof id === 'string') parsed.id = id;
  return parsed;
}
