/**
 * Turns one decoded request body into validated input tensors for the `onnx` handler. Two body
 * forms are accepted (both JSON):
 * - `{"<input name>": <nested array>, ...}`;
 * - KServe v2: `{"id"?, "inputs": [{"name", "shape", "datatype", "data"}, ...]}` (`data` flat or
 *   nested; `shape` must match its element count).
 * Each input must be named by the model exactly once, with a matching shape and element type.
 */
import { InvalidInputError } from '../../errors/index.js';
import {
  ORT_TO_V2, checkShape, describeSpec, flattenNested, formatShape, toTensorData,
  type FlatTensor, type InputSpec,
} from './tensor-codec.js';

export interface ParsedTensor {
  dims: number[];
  data: unknown;
}

export interface ParsedRequest {
  form: 'map' | 'v2';
  id?: string;
  tensors: Map<string, ParsedTensor>;
}

function asObject(body: unknown): Record<string, unknown> {
  let value = body;
  if (value instanceof Uint8Array) value = new TextDecoder().decode(value);
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new InvalidInputError('Request body is not JSON: send an object mapping input names to nested arrays');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError('Request body must be a JSON object mapping input names to nested arrays');
  }
  return value as Record<string, unknown>;
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
  const obj = asObject(body);
  const specs = new Map(inputs.map((s) => [s.name, s]));
  const form: ParsedRequest['form'] = Array.isArray(obj.inputs) && !specs.has('inputs') ? 'v2' : 'map';
  const raw: [string, FlatTensor, string | undefined][] =
    form === 'v2'
      ? (obj.inputs as unknown[]).map((e) => fromV2(e, specs))
      : Object.entries(obj).map(([name, value]) => [name, flattenNested(value, name), undefined]);
  const expected = inputs.map((s) => s.name).join(', ');
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
  const parsed: ParsedRequest = { form, tensors };
  if (form === 'v2' && typeof obj.id === 'string') parsed.id = obj.id;
  return parsed;
}
