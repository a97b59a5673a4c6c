/**
 * KServe v2 / Open Inference Protocol request and response bodies, shared by the v2 REST
 * routes and the `kservev2` service envelope. Pure.
 *
 * Request path: the JSON header (plus binary tensors, see `v2-binary.ts`) is validated and
 * turned into `V2Request` whose inputs carry flat JSON `data`; `handlerBody` is what the
 * handler receives: `{"id", "parameters", "inputs":[{name, shape, datatype, data}], "outputs"}`
 * with `data` flat and row-major. Binary inputs are converted to JSON values (FP16 -> numbers,
 * BYTES -> UTF-8 strings, or `{"b64": …}` when an element is not valid UTF-8).
 *
 * Response path: the handler's decoded result becomes output tensors. Accepted results:
 * `{"outputs":[{name, shape?, datatype?, data}]}` (v2-shaped), `{outputName: nestedArray}`, any
 * other JSON value (one output `output-0`), text (BYTES `output-0`) or bytes such as a PNG
 * (BYTES `output-0`: base64 string in JSON, raw bytes when binary output is requested).
 * Datatypes come from the model signature when it names the output, else they are guessed
 * (BOOL, BYTES, INT64 when all values are integers, else FP32).
 */
import { InternalServerError, InvalidInputError } from '../../errors/index.js';
import type { ModelSignature, TensorDatatype } from '../../inference/types.js';
import { BinaryCursor, joinBody, type FramedBody } from './v2-binary.js';
import type { DecodedResult } from './result-body.js';
import {
  DATATYPES, checkShape, checkValues, elementCount, flattenData, guessDatatype, inferShape, isDatatype, rawToValues, valuesToRaw,
} from './v2-tensors.js';

export type Params = Record<string, unknown>;

export interface V2Input {
  name: string;
  datatype: TensorDatatype;
  shape: number[];
  /** Flat, row-major. */
  data: unknown[];
  parameters?: Params;
}

export interface V2RequestedOutput {
  name: string;
  parameters?: Params;
}

export interface V2Request {
  id?: string;
  parameters?: Params;
  inputs: V2Input[];
  outputs?: V2RequestedOutput[];
}

export interface V2Output {
  name: string;
  datatype: TensorDatatype;
  shape: number[];
  data: unknown[];
}

const isObject = (v: unknown): v is Params => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseInput(raw: unknown, index: number, cursor: BinaryCursor): V2Input {
  if (!isObject(raw)) throw new InvalidInputError(`inputs[${index}] must be an object`);
  const name = raw['name'];
  if (typeof name !== 'string' || name === '') throw new InvalidInputError(`inputs[${index}]: "name" must be a non-empty string`);
  const datatype = raw['datatype'];
  if (!isDatatype(datatype)) throw new InvalidInputError(`input "${name}": unsupported datatype ${JSON.stringify(datatype)}`);
  const parameters = raw['parameters'];
  if (parameters !== undefined && parameters !== null && !isObject(parameters)) {
    throw new InvalidInputError(`input "${name}": "parameters" must be an object`);
  }
  const { binary_data_size: binarySize, ...rest } = parameters ?? {};
  let data: unknown[];
  let shape: number[];
  if (binarySize !== undefined) {
    if (raw['data'] !== undefined) throw new InvalidInputError(`input "${name}": has both "data" and binary_data_size`);
    const declared = Array.isArray(raw['shape']) && !raw['shape'].includes(-1) ? elementCount(raw['shape'] as number[]) : undefined;
    data = rawToValues(name, datatype, cursor.take(name, binarySize), Number.isInteger(declared) ? declared : undefined);
    shape = checkShape(name, raw['shape'], data.length);
  } else {
    if (raw['data'] === undefined) throw new InvalidInputError(`input "${name}": "data" is required without binary_data_size`);
    if (!DATATYPES[datatype].json) {
      throw new InvalidInputError(`input "${name}": ${datatype} data cannot be sent as JSON; use the binary data extension`);
    }
    data = flattenData(raw['data']);
    checkValues(name, datatype, data);
    shape = checkShape(name, raw['shape'], data.length);
  }
  const input: V2Input = { name, datatype, shape, data };
  if (Object.keys(rest).length > 0) input.parameters = rest;
  return input;
}

/** Validates a v2 inference request (JSON header + binary section). */
export function parseV2Request(framed: FramedBody): V2Request {
  const h = framed.header;
  if (!isObject(h)) throw new InvalidInputError('the inference request must be a JSON object');
  if (!Array.isArray(h['inputs']) || h['inputs'].length === 0) throw new InvalidInputError('Expected "inputs" to be a non-empty list');
  const cursor = new BinaryCursor(framed.binary);
  const inputs = h['inputs'].map((raw, i) => parseInput(raw, i, cursor));
  cursor.finish();
  const seen = new Set<string>();
  for (const input of inputs) {
    if (seen.has(input.name)) throw new InvalidInputError(`input "${input.name}" appears more than once`);
    seen.add(input.name);
  }
  const req: V2Request = { inputs };
  if (typeof h['id'] === 'string' || typeof h['id'] === 'number') req.id = String(h['id']);
  if (h['parameters'] !== undefined && h['parameters'] !== null) {
    if (!isObject(h['parameters'])) throw new InvalidInputError('"parameters" must be an object');
    req.parameters = h['parameters'];
  }
  if (h['outputs'] !== undefined && h['outputs'] !== null) {
    if (!Array.isArray(h['outputs'])) throw new InvalidInputError('"outputs" must be a list');
    req.outputs = h['outputs'].map((o, i) => {
      if (!isObject(o) || typeof o['name'] !== 'string') throw new InvalidInputError(`outputs[${i}]: "name" must be a string`);
      const out: V2RequestedOutput = { name: o['name'] };
      if (isObject(o['parameters'])) out.parameters = o['parameters'];
      return out;
    });
  }
  return req;
}

/** The JSON body the handler receives (`application/json`). */
export function handlerBody(req: V2Request): Buffer {
  const body: Params = {};
  if (req.id !== undefined) body['id'] = req.id;
  if (req.parameters !== undefined) body['parameters'] = req.parameters;
  body['inputs'] = req.inputs;
  if (req.outputs !== undefined) body['outputs'] = req.outputs;
  return Buffer.from(JSON.stringify(body), 'utf8');
}

function toOutput(name: string, value: unknown, declared: Map<string, TensorDatatype>, datatype?: unknown, shape?: unknown): V2Output {
  const data = flattenData(value);
  let dims = Array.isArray(shape) && shape.every((d) => Number.isInteger(d) && d >= 0) ? (shape as number[]) : undefined;
  if (dims === undefined || elementCount(dims) !== data.length) {
    dims = Array.isArray(value) ? inferShape(value) : [1];
    if (elementCount(dims) !== data.length) dims = [data.length]; // ragged: report it flat
  }
  const type = isDatatype(datatype) ? datatype : (declared.get(name) ?? guessDatatype(data));
  return { name, datatype: type, shape: dims, data };
}

/** Handler result -> output tensors (see the module comment for the accepted forms). */
export function outputsFromResult(decoded: DecodedResult, signature?: ModelSignature): V2Output[] {
  const declared = new Map((signature?.outputs ?? []).map((o) => [o.name, o.datatype] as const));
  if (decoded.kind === 'text') return [{ name: 'output-0', datatype: 'BYTES', shape: [1], data: [decoded.text] }];
  if (decoded.kind === 'bytes') {
    return [{ name: 'output-0', datatype: 'BYTES', shape: [1], data: [{ b64: decoded.bytes.toString('base64') }] }];
  }
  const v = decoded.value;
  if (isObject(v) && Array.isArray(v['outputs']) && v['outputs'].every((o) => isObject(o) && typeof o['name'] === 'string')) {
    return (v['outputs'] as Params[]).map((o) => toOutput(o['name'] as string, o['data'], declared, o['datatype'], o['shape']));
  }
  if (isObject(v)) return Object.entries(v).map(([name, value]) => toOutput(name, value, declared));
  return [toOutput('output-0', v, declared)];
}

// ---- response encoding -------------------------------------------------------------------------

export interface V2ResponseMeta {
  modelName: string;
  /** `null` is written when the model has no version (KServe Python's form). */
  modelVersion: string | null;
  id: string;
}

export interface EncodedResponse {
  body: Buffer;
  contentType: string;
  /** Set when outputs are binary: the value of `Inference-Header-Content-Length`. */
  headerLength?: number;
}

/** Python's float repr for integral values (`6.0`), so bodies match KServe byte for byte. */
function floatText(v: unknown): string {
  if (typeof v !== 'number') return JSON.stringify(v ?? null);
  if (!Number.isFinite(v)) return 'null';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return Object.is(v, -0) ? '-0.0' : `${v}.0`;
  return String(v);
}

function dataText(out: V2Output): string {
  switch (out.datatype) {
    case 'FP16':
    case 'FP32':
    case 'FP64':
      return `[${out.data.map(floatText).join(',')}]`;
    case 'BOOL':
      return `[${out.data.map((v) => (v === true || v === 1 ? 'true' : 'false')).join(',')}]`;
    case 'BYTES':
      return JSON.stringify(out.data.map((v) => (isObject(v) && typeof v['b64'] === 'string' ? v['b64'] : v)));
    default:
      return JSON.stringify(out.data);
  }
}

function selectOutputs(outputs: V2Output[], req: V2Request, modelName: string): Array<{ out: V2Output; binary: boolean }> {
  const all = req.parameters?.['binary_data_output'] === true;
  if (req.outputs === undefined) return outputs.map((out) => ({ out, binary: all }));
  const byName = new Map(outputs.map((o) => [o.name, o]));
  // KServe quirk: once outputs are listed, only their own binary_data flag counts.
  return req.outputs.map((r) => {
    const out = byName.get(r.name);
    if (out === undefined) {
      throw new InvalidInputError(`output "${r.name}" is not an output of model "${modelName}" (it returns: ${[...byName.keys()].join(', ')})`);
    }
    return { out, binary: r.parameters?.['binary_data'] === true };
  });
}

function toRaw(out: V2Output): Buffer {
  try {
    return valuesToRaw(out.name, out.datatype, out.data);
  } catch (err) {
    throw new InternalServerError(`output "${out.name}": the handler's values do not fit datatype ${out.datatype}: ${(err as Error).message}`);
  }
}

/**
 * Output tensors -> response body. Pure JSON unless an output is binary (`binary_data` on a
 * listed output, or `binary_data_output`); key order and nulls follow KServe's Python server.
 * FP16 outputs must be binary (400 otherwise, as KServe).
 */
export function encodeV2Response(meta: V2ResponseMeta, outputs: V2Output[], req: V2Request): EncodedResponse {
  const chosen = selectOutputs(outputs, req, meta.modelName);
  for (const { out, binary } of chosen) {
    if (!binary && !DATATYPES[out.datatype].json) {
      throw new InvalidInputError(`output "${out.name}" is ${out.datatype}, which can only be returned as binary data (set "binary_data": true)`);
    }
  }
  const head = (o: V2Output) => `"name":${JSON.stringify(o.name)},"shape":${JSON.stringify(o.shape)},"datatype":"${o.datatype}"`;
  const version = JSON.stringify(meta.modelVersion);
  if (!chosen.some((c) => c.binary)) {
    const outs = chosen.map(({ out }) => `{${head(out)},"parameters":null,"data":${dataText(out)}}`);
    const json = `{"model_name":${JSON.stringify(meta.modelName)},"model_version":${version},"id":${JSON.stringify(meta.id)},"parameters":null,"outputs":[${outs.join(',')}]}`;
    return { body: Buffer.from(json, 'utf8'), contentType: 'application/json' };
  }
  const tensors: Buffer[] = [];
  const outs = chosen.map(({ out, binary }) => {
    if (!binary) return `{${head(out)},"data":${dataText(out)}}`;
    const raw = toRaw(out);
    tensors.push(raw);
    return `{${head(out)},"parameters":{"binary_data_size":${raw.length}}}`;
  });
  const json = `{"id":${JSON.stringify(meta.id)},"model_name":${JSON.stringify(meta.modelName)},"model_version":${version},"outputs":[${outs.join(',')}]}`;
  const { body, headerLength } = joinBody(json, tensors);
  return { body, contentType: 'application/octet-stream', headerLength };
}
