/**
 * Pure codecs of the Open Inference Protocol gRPC service (KServe v2, `GRPCInferenceService`).
 *
 * ModelInfer request -> the body of one `InferenceRequest`: the KServe-v2 REST JSON
 * `{"id"?, "model_name", "model_version"?, "parameters"?, "inputs": [{name, shape, datatype,
 * parameters?, data}], "outputs"?: [{name, parameters?}]}` with flat row-major `data`, sent as
 * parameter `body` with content type `application/json` (TorchServe does the same), so the
 * onnx handler sees exactly what `POST /v2/models/{m}/infer` would give it.
 * - typed `contents` and `raw_input_contents` are both accepted (not both at once; raw needs
 *   one entry per input); the element count must match the shape;
 * - INT64/UINT64 are written as exact decimal digits (no float rounding on the way);
 * - BYTES elements are UTF-8 strings, as in REST JSON. An element that is not valid UTF-8 makes
 *   the whole tensor base64 strings, flagged by the tensor parameter `"binary_encoding":
 *   "base64"` (TorchServe base64-encodes every BYTES tensor; its Python handlers decode it);
 * - FP16 (raw only) is written as numbers with datatype "FP16".
 *
 * Handler result -> ModelInferResponse. Accepted JSON: the KServe-v2 response
 * `{"outputs":[{name, datatype?, shape?, data}]}` or a map `{outputName: nestedArray | scalar}`.
 * A missing datatype comes from the model signature, else from the values (boolean -> BOOL,
 * string -> BYTES, all integers -> INT64, otherwise FP32); a missing shape from the nesting.
 * Outputs are typed `contents`, or `raw_output_contents` when the request used raw inputs or an
 * output is FP16 (KServe's rule). Listed `outputs` of the request filter the result.
 */
import { InternalServerError, InvalidInputError } from '../../errors/index.js';
import type { ModelStatus } from '../../inference/inference-api.js';
import type { ModelSignature, TensorDatatype } from '../../inference/types.js';
import type {
  InferParameterMsg,
  InferTensorContentsMsg,
  InferInputTensorMsg,
  ModelInferRequestMsg,
  ModelInferResponseMsg,
  ModelMetadataResponseMsg,
  InferOutputTensorMsg,
} from './messages.js';
import { readRawTensor, writeRawTensor, type TensorElement } from './tensor-bytes.js';

type ContentsField = keyof InferTensorContentsMsg;

export const CONTENTS_FIELD: Readonly<Record<TensorDatatype, ContentsField | undefined>> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP16: undefined,
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};

function asDatatype(value: string, name: string): TensorDatatype {
  if (value in CONTENTS_FIELD) return value as TensorDatatype;
  throw new InvalidInputError(`unsupported datatype ${JSON.stringify(value)} for tensor ${name}`);
}

function parameterValue(p: InferParameterMsg): boolean | number | string | undefined {
  switch (p.parameter_choice) {
    case 'bool_param': return p.bool_param ?? false;
    case 'int64_param': return Number(p.int64_param ?? 0);
    case 'uint64_param': return Number(p.uint64_param ?? 0);
    case 'double_param': return p.double_param ?? 0;
    case 'string_param': return p.string_param ?? '';
    default: return undefined;
  }
}

export function parametersToJson(params: Record<string, InferParameterMsg> | undefined): Record<string, unknown> | undefined {
  if (params === undefined) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, p] of Object.entries(params)) {
    const value = parameterValue(p);
    if (value !== undefined) out[key] = value;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function bytesJson(elements: Uint8Array[]): { json: string[]; base64: boolean } {
  try {
    return { json: elements.map((e) => JSON.stringify(utf8.decode(e))), base64: false };
  } catch {
    return { json: elements.map((e) => JSON.stringify(Buffer.from(e).toString('base64'))), base64: true };
  }
}

function elementJson(value: TensorElement | string): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return /^-?\d+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? 'null';
}

function hasContents(c: InferTensorContentsMsg | null | undefined): boolean {
  return c != null && Object.values(c).some((v) => Array.isArray(v) && v.length > 0);
}

function inputJson(input: InferInputTensorMsg, raw: Uint8Array | undefined): string {
  const datatype = asDatatype(input.datatype, input.name);
  const shape = input.shape.map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new InvalidInputError(`invalid shape [${shape.join(',')}] for input ${input.name}`);
  let elements: (TensorElement | string)[];
  if (raw !== undefined) {
    elements = readRawTensor(datatype, raw, input.name);
  } else {
    const field = CONTENTS_FIELD[datatype];
    if (field === undefined) throw new InvalidInputError(`input ${input.name}: ${datatype} data must be sent as raw_input_contents`);
    elements = (input.contents?.[field] ?? []) as (TensorElement | string)[];
  }
  const expected = shape.reduce((a, b) => a * b, 1);
  if (elements.length !== expected) {
    throw new InvalidInputError(`input ${input.name} has ${elements.length} elements, shape [${shape.join(',')}] needs ${expected}`);
  }
  let params = parametersToJson(input.parameters);
  let data: string[];
  if (datatype === 'BYTES') {
    const encoded = bytesJson(elements as Uint8Array[]);
    data = encoded.json;
    if (encoded.base64) params = { ...params, binary_encoding: 'base64' };
  } else {
    data = elements.map(elementJson);
  }
  const head = { name: input.name, shape, datatype, ...(params === undefined ? {} : { parameters: params }) };
  return `${JSON.stringify(head).slice(0, -1)},"data":[${data.join(',')}]}`;
}

export interface EncodedModelInfer {
  /** The KServe-v2 JSON body. */
  body: string;
  /** The request used raw contents: answer with raw contents. */
  raw: boolean;
  /** Names listed in `outputs` (empty: all). */
  requestedOutputs: string[];
}

export function encodeModelInferRequest(msg: ModelInferRequestMsg): EncodedModelInfer {
  if (msg.model_name === '') throw new InvalidInputError('Parameter model_name is required.');
  const raws = msg.raw_input_contents ?? [];
  const raw = raws.length > 0;
  if (raw && raws.length !== msg.inputs.length) {
    throw new InvalidInputError(`raw_input_contents has ${raws.length} entries for ${msg.inputs.length} inputs`);
  }
  if (raw && msg.inputs.some((i) => hasContents(i.contents))) {
    throw new InvalidInputError('contents must not be set when raw_input_contents is used');
  }
  const inputs = msg.inputs.map((input, i) => inputJson(input, raw ? raws[i] : undefined));
  const requestedOutputs = (msg.outputs ?? []).map((o) => o.name);
  const head: Record<string, unknown> = {};
  if (msg.id !== '') head.id = msg.id;
  head.model_name = msg.model_name;
  if (msg.model_version !== '') head.model_version = msg.model_version;
  const params = parametersToJson(msg.parameters);
  if (params !== undefined) head.parameters = params;
  const outputs = (msg.outputs ?? []).map((o) => {
    const p = parametersToJson(o.parameters);
    return p === undefined ? { name: o.name } : { name: o.name, parameters: p };
  });
  const tail = outputs.length > 0 ? `,"outputs":${JSON.stringify(outputs)}` : '';
  return { body: `${JSON.stringify(head).slice(0, -1)},"inputs":[${inputs.join(',')}]${tail}}`, raw, requestedOutputs };
}

// ---- response ---------------------------------------------------------------------------------

interface OutputTensor {
  name: string;
  datatype: TensorDatatype;
  shape: number[];
  values: unknown[];
}

function flatten(data: unknown): { values: unknown[]; shape: number[] } {
  if (!Array.isArray(data)) return { values: [data], shape: [] };
  const shape: number[] = [];
  for (let level: unknown = data; Array.isArray(level); level = level[0]) shape.push(level.length);
  return { values: (data as unknown[]).flat(Infinity), shape };
}

function inferDatatype(values: unknown[]): TensorDatatype {
  if (values.length > 0 && values.every((v) => typeof v === 'boolean')) return 'BOOL';
  if (values.some((v) => typeof v === 'string')) return 'BYTES';
  return values.every((v) => Number.isInteger(v)) ? 'INT64' : 'FP32';
}

function toOutput(name: string, raw: { datatype?: unknown; shape?: unknown; data?: unknown }, signature: ModelSignature | undefined): OutputTensor {
  const { values, shape } = flatten(raw.data);
  const declared = typeof raw.datatype === 'string' ? raw.datatype : signature?.outputs.find((o) => o.name === name)?.datatype;
  const datatype = declared === undefined ? inferDatatype(values) : asDatatype(declared, name);
  const given = Array.isArray(raw.shape) ? raw.shape.map(Number) : undefined;
  return { name, datatype, shape: given ?? shape, values };
}

export interface InferResponseContext {
  modelName: string;
  modelVersion: string;
  id: string;
  requestedOutputs: string[];
  raw: boolean;
  signature?: ModelSignature;
}

function parseOutputs(body: Uint8Array, signature: ModelSignature | undefined): { tensors: OutputTensor[]; modelVersion?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    throw new InternalServerError('model output is not JSON, cannot build a ModelInferResponse');
  }
  if (Array.isArray(parsed) && parsed.length === 1) parsed = parsed[0];
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InternalServerError('model output is not a JSON object, cannot build a ModelInferResponse');
  }
  const obj = parsed as Record<string, unknown>;
  const version = typeof obj.model_version === 'string' ? obj.model_version : undefined;
  if (Array.isArray(obj.outputs)) {
    const tensors = obj.outputs.map((o: Record<string, unknown>) => toOutput(String(o.name), o, signature));
    return version === undefined ? { tensors } : { tensors, modelVersion: version };
  }
  return { tensors: Object.entries(obj).map(([name, data]) => toOutput(name, { data }, signature)) };
}

function typedContents(t: OutputTensor): InferTensorContentsMsg {
  const field = CONTENTS_FIELD[t.datatype];
  if (field === undefined) return {};
  switch (t.datatype) {
    case 'BOOL': return { bool_contents: t.values.map((v) => v === true || Number(v) !== 0) };
    case 'INT64':
    case 'UINT64': return { [field]: t.values.map((v) => (typeof v === 'string' ? v : String(Math.trunc(Number(v))))) };
    case 'BYTES': return { bytes_contents: t.values.map((v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8')) };
    default: return { [field]: t.values.map(Number) };
  }
}

export function decodeModelInferResult(body: Uint8Array, ctx: InferResponseContext): ModelInferResponseMsg {
  const { tensors: all, modelVersion } = parseOutputs(body, ctx.signature);
  let tensors = all;
  if (ctx.requestedOutputs.length > 0) {
    tensors = ctx.requestedOutputs.map((name) => {
      const found = all.find((t) => t.name === name);
      if (found === undefined) throw new InvalidInputError(`requested output ${name} is not an output of model ${ctx.modelName}`);
      return found;
    });
  }
  const raw = ctx.raw || tensors.some((t) => t.datatype === 'FP16');
  const outputs: InferOutputTensorMsg[] = tensors.map((t) => {
    const out: InferOutputTensorMsg = { name: t.name, datatype: t.datatype, shape: t.shape };
    if (!raw) out.contents = typedContents(t);
    return out;
  });
  return {
    model_name: ctx.modelName,
    model_version: modelVersion ?? ctx.modelVersion,
    id: ctx.id,
    outputs,
    raw_output_contents: raw ? tensors.map((t) => writeRawTensor(t.datatype, t.values)) : [],
  };
}

/**
 * The message of a result the handler answered with an HTTP error status (>= 400): the JSON
 * body's `message` or `error` field, else the body text. ModelInfer reports it as an error with
 * the status mapped through TorchServe's HTTP -> gRPC table, instead of decoding it as tensors.
 */
export function handlerErrorMessage(body: Uint8Array): string {
  const text = Buffer.from(body).toString('utf8');
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const message = parsed?.message ?? parsed?.error;
    if (typeof message === 'string') return message;
  } catch {
    // not JSON: the text itself
  }
  return text;
}

export function encodeModelMetadata(status: ModelStatus): ModelMetadataResponseMsg {
  const tensors = (list: ModelSignature['inputs'] | undefined) => (list ?? []).map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape }));
  return {
    name: status.name,
    versions: status.versions,
    platform: '',
    inputs: tensors(status.signature?.inputs),
    outputs: tensors(status.signature?.outputs),
  };
}
