/**
 * nserve's public API for handler authors and embedders: the handler contract, the canonical
 * request/result types, and the error catalog (throw these from a handler to choose the
 * status TorchServe clients see, e.g. `new PredictionError('bad input', { status: 400 })`).
 */
export type * from './handlers/handler.js';
export type {
  InferenceRequest,
  InferenceResult,
  ModelSignature,
  PredictOptions,
  RequestParameter,
  TensorDatatype,
  TensorSpec,
} from './inference/types.js';
export * from './errors/index.js';
