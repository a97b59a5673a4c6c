/**
 * `onnx`: the built-in handler that serves one ONNX file with onnxruntime-node.
 *
 * - Model: the manifest's `serializedFile` (default `model.onnx`) inside the model directory;
 *   external-data files next to it are found by onnxruntime because the session is created
 *   from the file path. Session options: see `session-options.ts`.
 * - Request: a JSON object mapping input names to nested arrays, a bare nested array for a
 *   one-input model, or KServe v2 `{"inputs": [{name, shape, datatype, data}]}`; the first two
 *   may give one row without the batch dimension (see `request-parsing.ts`).
 * - Response: `{"<output name>": <nested array>, ...}` (a bare nested array when the request was
 *   bare and the model has one output; without the batch dimension when the request gave one
 *   row); for a v2 request, a v2 response
 *   `{"model_name", "model_version", "id"?, "outputs": [{name, datatype, shape, data}]}`.
 * - Batching: requests are validated one by one (a bad one fails alone with 400); the good ones
 *   are stacked along dimension 0 when every input's first dimension is dynamic and their other
 *   dimensions agree, run once, and the outputs are split back by rows. Anything that cannot be
 *   stacked runs alone.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import ort from 'onnxruntime-node';
import { InvalidInputError, InvalidModelError } from '../../errors/index.js';
import type { ModelSignature, TensorSpec } from '../../inference/types.js';
import type { Handler, HandlerContext, HandlerRequest, HandlerResult } from '../handler.js';
import { parseRequest, type ParsedRequest } from './request-parsing.js';
import { sessionOptionsFrom } from './session-options.js';
import { ORT_TO_V2, isDynamic, nest, toPlainValues, type InputSpec, type OrtType } from './tensor-codec.js';

interface OutputTensor {
  type: string;
  dims: number[];
  values: unknown[];
}

type Outputs = Map<string, OutputTensor>;

function specsOf(names: readonly string[], metadata: readonly unknown[] | undefined): InputSpec[] {
  return names.map((name, i) => {
    const m = metadata?.[i] as { isTensor?: boolean; type?: string; shape?: (number | string)[] } | undefined;
    const type = (m?.type ?? 'float32') as OrtType;
    return { name, type: type in ORT_TO_V2 ? type : 'float32', shape: m?.shape ?? [] };
  });
}

const toTensorSpec = (s: InputSpec): TensorSpec => ({
  name: s.name,
  datatype: ORT_TO_V2[s.type],
  shape: s.shape.map((d) => (isDynamic(d) ? -1 : (d as number))),
});

function isInputProblem(err: unknown): boolean {
  return err instanceof Error && /invalid (dimensions|rank|input)|unexpected input data type|input name/i.test(err.message);
}

export class OnnxHandler implements Handler {
  private session: ort.InferenceSession | undefined;
  private inputs: InputSpec[] = [];
  private outputs: InputSpec[] = [];
  private modelName = '';
  private modelVersion = '';

  async initialize(context: HandlerContext): Promise<void> {
    const file = context.manifest.model.serializedFile ?? 'model.onnx';
    const dir = resolve(context.modelDir);
    const path = resolve(dir, file);
    const rel = relative(dir, path);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new InvalidModelError(`serializedFile ${file} must be inside the model directory`);
    this.session = await ort.InferenceSession.create(path, sessionOptionsFrom(context.settings.modelConfig));
    const s = this.session as ort.InferenceSession & { inputMetadata?: readonly unknown[]; outputMetadata?: readonly unknown[] };
    this.inputs = specsOf(s.inputNames, s.inputMetadata);
    this.outputs = specsOf(s.outputNames, s.outputMetadata);
    this.modelName = context.modelName;
    this.modelVersion = context.modelVersion;
    context.logger.info(`onnx session ready: inputs ${this.inputs.map((i) => i.name).join(',')} outputs ${this.outputs.map((o) => o.name).join(',')}`);
  }

  signature(): ModelSignature {
    return { inputs: this.inputs.map(toTensorSpec), outputs: this.outputs.map(toTensorSpec) };
  }

  async handle(requests: HandlerRequest[], _context: HandlerContext): Promise<HandlerResult[]> {
    const results: HandlerResult[] = new Array(requests.length);
    const parsed: (ParsedRequest | undefined)[] = requests.map((r, i) => {
      try {
        return parseRequest(r.body, this.inputs);
      } catch (err) {
        results[i] = err;
        return undefined;
      }
    });
    for (const group of this.groups(parsed)) {
      const outputs = await this.runGroup(group.map((i) => parsed[i]!)).catch((err: unknown) => err);
      if (!(outputs instanceof Error)) {
        group.forEach((idx, j) => (results[idx] = this.respond(parsed[idx]!, (outputs as Outputs[])[j]!)));
        continue;
      }
      if (!isInputProblem(outputs)) throw outputs;
      // One bad request must not fail the others: run them one by one.
      for (const idx of group) {
        try {
          const [single] = await this.runGroup([parsed[idx]!]);
          results[idx] = this.respond(parsed[idx]!, single!);
        } catch (err) {
          if (!isInputProblem(err)) throw err;
          results[idx] = new InvalidInputError((err as Error).message.trim());
        }
      }
    }
    return results;
  }

  async describe(): Promise<unknown> {
    return this.signature();
  }

  async finalize(): Promise<void> {
    await this.session?.release();
    this.session = undefined;
  }

  /** Indices of valid requests, grouped so each group can run as one stacked batch. */
  private groups(parsed: (ParsedRequest | undefined)[]): number[][] {
    const stackable = this.inputs.length > 0 && this.inputs.every((s) => s.shape.length > 0 && isDynamic(s.shape[0]!));
    const byKey = new Map<string, number[]>();
    const singles: number[][] = [];
    parsed.forEach((p, i) => {
      if (p === undefined) return;
      const rows = new Set(this.inputs.map((s) => p.tensors.get(s.name)!.dims[0]));
      if (!stackable || rows.size !== 1) {
        singles.push([i]);
        return;
      }
      const key = JSON.stringify(this.inputs.map((s) => p.tensors.get(s.name)!.dims.slice(1)));
      const g = byKey.get(key);
      if (g) g.push(i);
      else byKey.set(key, [i]);
    });
    return [...byKey.values(), ...singles];
  }

  /** Run requests stacked along dim 0; returns each request's outputs. */
  private async runGroup(group: ParsedRequest[]): Promise<Outputs[]> {
    const session = this.session!;
    const rows = group.map((p) => p.tensors.get(this.inputs[0]!.name)!.dims[0] ?? 1);
    const feeds: Record<string, ort.Tensor> = {};
    for (const spec of this.inputs) {
      const parts = group.map((p) => p.tensors.get(spec.name)!);
      const dims = group.length === 1 ? parts[0]!.dims : [rows.reduce((a, b) => a + b, 0), ...parts[0]!.dims.slice(1)];
      feeds[spec.name] = new ort.Tensor(spec.type, concat(parts.map((p) => p.data)) as never, dims);
    }
    const out = await session.run(feeds);
    const total = rows.reduce((a, b) => a + b, 0);
    const perRequest: Outputs[] = group.map(() => new Map());
    for (const spec of this.outputs) {
      const t = out[spec.name]!;
      const values = toPlainValues(t.type, t.data);
      if (group.length === 1) {
        perRequest[0]!.set(spec.name, { type: t.type, dims: [...t.dims], values });
        continue;
      }
      if (t.dims[0] !== total) throw new InvalidInputError(`output ${spec.name} is not batched along dimension 0; invalid input batch`);
      const rowSize = t.dims.slice(1).reduce((a, b) => a * b, 1);
      let offset = 0;
      group.forEach((_, j) => {
        const n = rows[j]!;
        perRequest[j]!.set(spec.name, { type: t.type, dims: [n, ...t.dims.slice(1)], values: values.slice(offset * rowSize, (offset + n) * rowSize) });
        offset += n;
      });
    }
    return perRequest;
  }

  private respond(request: ParsedRequest, outputs: Outputs): unknown {
    if (request.form !== 'v2') {
      // A row in, a row out: the batch dimension of one added for the run is left out again.
      const nested = (t: OutputTensor) => nest(t.values, request.row && t.dims[0] === 1 ? t.dims.slice(1) : t.dims);
      if (request.form === 'bare' && outputs.size === 1) return nested(outputs.values().next().value!);
      const body: Record<string, unknown> = {};
      for (const [name, t] of outputs) body[name] = nested(t);
      return body;
    }
    const body: Record<string, unknown> = { model_name: this.modelName, model_version: this.modelVersion };
    if (request.id !== undefined) body.id = request.id;
    body.outputs = [...outputs].map(([name, t]) => ({ name, datatype: ORT_TO_V2[t.type as OrtType] ?? 'FP32', shape: t.dims, data: t.values }));
    return body;
  }
}

function concat(parts: unknown[]): unknown {
  if (parts.length === 1) return parts[0];
  if (Array.isArray(parts[0])) return (parts as unknown[][]).flat();
  const arrays = parts as (ArrayLike<unknown> & { length: number; constructor: new (n: number) => { set(a: ArrayLike<unknown>, o: number): void } })[];
  const total = arrays.reduce((a, p) => a + p.length, 0);
  const out = new arrays[0]!.constructor(total);
  let offset = 0;
  for (const p of arrays) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
