/**
 * The canonical, protocol-neutral request and result types. Every protocol adapter (TorchServe
 * REST, TorchServe gRPC, KServe v1/v2 REST and gRPC, Vertex) decodes into `InferenceRequest`
 * and encodes from `InferenceResult`. This module is a leaf: it imports nothing.
 */

/**
 * One named input of a request, as TorchServe's frontend builds its `RequestInput.parameters`:
 * - a raw body (JSON, text, binary, or none) becomes one parameter named `body` whose
 *   `contentType` is the request's MIME type without parameters (`''` when absent);
 * - each multipart part becomes one parameter (file parts keep their content type, default
 *   `application/octet-stream`; plain fields have `contentType: ''`);
 * - each urlencoded field becomes one parameter with `contentType: ''`;
 * - gRPC `PredictionsRequest.input` entries become one parameter each (`contentType: ''`,
 *   except `data`/`body`, which are decoded like a REST body: JSON when they parse as JSON).
 */
export interface RequestParameter {
  name: string;
  contentType: string;
  value: Uint8Array;
}

export interface InferenceRequest {
  /** UUID, also sent back as `x-request-id`. */
  requestId: string;
  /** Request headers (lower-case names) plus the injected `url_path` / `explain`. */
  headers: Record<string, string>;
  parameters: RequestParameter[];
}

/** Options every data-path call takes. */
export interface PredictOptions {
  /** Aborted when the client goes away; a queued job whose signal is aborted never runs. */
  signal?: AbortSignal;
  /**
   * A cheaper alternative to `signal` for transports with their own close event: called once,
   * synchronously, with a `cancel` function the transport calls if the client goes away before
   * the answer (calls after the answer are ignored). Same effect as aborting `signal`.
   */
  onCancel?: (cancel: () => void) => void;
  /** Run the handler's explain path (TorchServe header `explain: "True"`). */
  explain?: boolean;
}

/**
 * What a handler produced for one request. Either a full body, or a stream of chunks (the
 * handler returned an async iterable). `status` and `headers` are the handler's choice
 * (default 200, none). `contentType` is only set when the handler set one: TorchServe sends
 * prediction responses without Content-Type by default.
 */
export interface InferenceResult {
  status: number;
  headers: Record<string, string>;
  contentType?: string;
  /** Full body. Absent when `stream` is set. */
  body?: Uint8Array;
  /** Chunks of a streamed response, in order. The iterable throws if the worker fails mid-stream. */
  stream?: AsyncIterable<Uint8Array>;
}

/** Tensor element types of the Open Inference Protocol (KServe v2). */
export type TensorDatatype =
  | 'BOOL'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'FP16'
  | 'FP32'
  | 'FP64'
  | 'BYTES';

/** One tensor of a model's signature (from the handler after load, e.g. onnx session metadata). */
export interface TensorSpec {
  name: string;
  datatype: TensorDatatype;
  /** -1 for a dynamic dimension. */
  shape: number[];
}

export interface ModelSignature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}
