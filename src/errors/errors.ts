/**
 * The one error catalog of nserve.
 *
 * Every failure that can reach a client is a `ServeError` subclass. Each carries:
 * - `kind`: one of a closed set (below). Transports map kinds exactly once:
 *   `protocols/http/error-mapping.ts` (HTTP status) and `protocols/grpc/status-mapping.ts`
 *   (gRPC status). Both are typed `Record<ErrorKind, …>` so a new kind cannot be forgotten.
 * - `code`: a stable string (`NSERVE_MODEL_NOT_FOUND`). Never numeric: grpc-js would read a
 *   numeric `code` as a gRPC status.
 * - `tsType`: the Java exception class name TorchServe puts in the `type` field of its
 *   `{code, type, message}` body, so clients that read it see the same value.
 * - `status` (optional): an explicit HTTP status chosen by a handler (TorchServe's
 *   `PredictionException(message, error_code)`); it wins over the kind's default.
 *
 * This module is a leaf: it imports nothing.
 */

export type ErrorKind =
  | 'INVALID_ARGUMENT' // 400
  | 'UNAUTHENTICATED' // 400 on REST (TorchServe quirk), PERMISSION_DENIED on gRPC
  | 'FORBIDDEN' // 403: TorchServe's IllegalArgumentException family
  | 'NOT_FOUND' // 404
  | 'METHOD_NOT_ALLOWED' // 405
  | 'REQUEST_TIMEOUT' // 408: management operations that timed out (unregister)
  | 'ALREADY_EXISTS' // 409
  | 'PAYLOAD_TOO_LARGE' // 413
  | 'WORKER_DIED' // 500 "Worker died.": response timeout, crash, oversized response
  | 'INTERNAL' // 500
  | 'NOT_IMPLEMENTED' // 501
  | 'PREDICTION_FAILED' // 503: the handler threw (TorchServe answers 503 "Prediction failed")
  | 'UNAVAILABLE' // 503: queue full, no worker, not ready
  | 'OUT_OF_RESOURCES' // 507
  | 'CANCELLED'; // client went away: nothing is sent

export interface ServeErrorOptions {
  cause?: unknown;
  /** Explicit HTTP status (handler-chosen). */
  status?: number;
}

export class ServeError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  readonly tsType: string;
  readonly status: number | undefined;

  constructor(kind: ErrorKind, code: string, tsType: string, message: string, options: ServeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.code = code;
    this.tsType = tsType;
    this.status = options.status;
  }
}

// ---- 400 -------------------------------------------------------------------------------------

export class BadRequestError extends ServeError {
  constructor(message: string, options?: ServeErrorOptions) {
    super('INVALID_ARGUMENT', 'NSERVE_BAD_REQUEST', 'BadRequestException', message, options);
  }
}

/** Input that does not match the model (names, shapes, dtypes, parameter ranges). */
export class InvalidInputError extends ServeError {
  constructor(message: string, options?: ServeErrorOptions) {
    super('INVALID_ARGUMENT', 'NSERVE_INVALID_INPUT', 'BadRequestException', message, options);
  }
}

/** The model archive or its manifest is unusable. */
export class InvalidModelError extends ServeError {
  constructor(message: string, options?: ServeErrorOptions) {
    super('INVALID_ARGUMENT', 'NSERVE_INVALID_MODEL', 'InvalidModelException', message, options);
  }
}

/** A zip/tar archive is malformed, unsafe (zip-slip, bomb, symlink) or truncated. */
export class ArchiveError extends ServeError {
  constructor(message: string, options?: ServeErrorOptions) {
    super('INVALID_ARGUMENT', 'NSERVE_ARCHIVE', 'ModelException', message, options);
  }
}

export class DownloadArchiveError extends ServeError {
  constructor(message: string, options?: ServeErrorOptions) {
    super('INVALID_ARGUMENT', 'NSERVE_DOWNLOAD', 'DownloadArchiveException', message, options);
  }
}

/** Token authorization failed. TorchServe answers 400 on REST (its tests assert it). */
export class UnauthenticatedError extends ServeError {
  constructor(
    message = 'Token Authorization failed. Token either incorrect, expired, or not provided correctly',
    options?: ServeErrorOptions,
  ) {
    super('UNAUTHENTICATED', 'NSERVE_UNAUTHENTICATED', 'InvalidKeyException', message, options);
  }
}

// ---- 403 / 404 / 405 / 408 / 409 / 413 ---------------------------------------------------------

export class ForbiddenError extends ServeError {
  constructor(message: string, tsType = 'InvalidModelVersionException', options?: ServeErrorOptions) {
    super('FORBIDDEN', 'NSERVE_FORBIDDEN', tsType, message, options);
  }
}

export class ResourceNotFoundError extends ServeError {
  constructor(message = 'Requested resource is not found, please refer to API document.', options?: ServeErrorOptions) {
    super('NOT_FOUND', 'NSERVE_RESOURCE_NOT_FOUND', 'ResourceNotFoundException', message, options);
  }
}

export class ModelNotFoundError extends ServeError {
  readonly modelName: string;
  constructor(modelName: string, options?: ServeErrorOptions) {
    super('NOT_FOUND', 'NSERVE_MODEL_NOT_FOUND', 'ModelNotFoundException', `Model not found: ${modelName}`, options);
    this.modelName = modelName;
  }
}

export class ModelVersionNotFoundError extends ServeError {
  constructor(modelName: string, version: string, options?: ServeErrorOptions) {
    super(
      'NOT_FOUND',
      'NSERVE_MODEL_VERSION_NOT_FOUND',
      'ModelVersionNotFoundException',
      `Model version: ${version} does not exist for model: ${modelName}`,
      options,
    );
  }
}

export class MethodNotAllowedError extends ServeError {
  constructor(message = 'Requested method is not allowed, please refer to API document.', options?: ServeErrorOptions) {
    super('METHOD_NOT_ALLOWED', 'NSERVE_METHOD_NOT_ALLOWED', 'MethodNotAllowedException', message, options);
  }
}

export class RequestTimeoutError extends ServeError {
  constructor(message: string, options?: ServeErrorOptions) {
    super('REQUEST_TIMEOUT', 'NSERVE_REQUEST_TIMEOUT', 'RequestTimeoutException', message, options);
  }
}

export class ConflictError extends ServeError {
  constructor(message: string, options?: ServeErrorOptions) {
    super('ALREADY_EXISTS', 'NSERVE_CONFLICT', 'ConflictStatusException', message, options);
  }
}

export class PayloadTooLargeError extends ServeError {
  constructor(message: string, options?: ServeErrorOptions) {
    super('PAYLOAD_TOO_LARGE', 'NSERVE_PAYLOAD_TOO_LARGE', 'RequestEntityTooLargeException', message, options);
  }
}

// ---- 5xx -------------------------------------------------------------------------------------

export class InternalServerError extends ServeError {
  constructor(message: string, options?: ServeErrorOptions) {
    super('INTERNAL', 'NSERVE_INTERNAL', 'InternalServerException', message, options);
  }
}

/**
 * The worker serving a batch stopped answering (response timeout), crashed, or produced a
 * response over `max_response_size`. Every job of the batch gets this error; TorchServe sends
 * 500 "Worker died." in all these cases (507 when the process was OOM-killed).
 */
export class WorkerDiedError extends ServeError {
  readonly reason: string;
  constructor(reason: string, options?: ServeErrorOptions) {
    super('WORKER_DIED', 'NSERVE_WORKER_DIED', 'InternalServerException', 'Worker died.', options);
    this.reason = reason;
  }
}

/** The handler threw. `status` carries a handler-chosen code (TorchServe's PredictionException). */
export class PredictionError extends ServeError {
  constructor(message = 'Prediction failed', options?: ServeErrorOptions) {
    super('PREDICTION_FAILED', 'NSERVE_PREDICTION_FAILED', 'InternalServerException', message, options);
  }
}

export class NotImplementedError extends ServeError {
  constructor(message: string, options?: ServeErrorOptions) {
    super('NOT_IMPLEMENTED', 'NSERVE_NOT_IMPLEMENTED', 'NotImplementedException', message, options);
  }
}

export class ServiceUnavailableError extends ServeError {
  constructor(message: string, options?: ServeErrorOptions) {
    super('UNAVAILABLE', 'NSERVE_UNAVAILABLE', 'ServiceUnavailableException', message, options);
  }
}

/**
 * The per-model job queue is full, or the model has no worker. The message is TorchServe's,
 * stray quote included, because clients match on it.
 */
export class QueueFullError extends ServeError {
  constructor(modelName: string, version?: string, options?: ServeErrorOptions) {
    const who = version === undefined ? `Model "${modelName}"` : `Model "${modelName}" Version ${version}"`;
    super(
      'UNAVAILABLE',
      'NSERVE_QUEUE_FULL',
      'ServiceUnavailableException',
      `${who} has no worker to serve inference request. Please use scale workers API to add workers. ` +
        'If this is a sequence inference, please check if it is closed, or expired; or exceeds maxSequenceJobQueueSize',
      options,
    );
  }
}

export class ModelNotReadyError extends ServeError {
  constructor(modelName: string, options?: ServeErrorOptions) {
    super('UNAVAILABLE', 'NSERVE_MODEL_NOT_READY', 'ServiceUnavailableException', `Model ${modelName} is not ready`, options);
  }
}

export class OutOfResourcesError extends ServeError {
  constructor(message = 'Out of resources', options?: ServeErrorOptions) {
    super('OUT_OF_RESOURCES', 'NSERVE_OUT_OF_RESOURCES', 'InternalServerException', message, options);
  }
}

/** The client went away before an answer was ready. Nothing is sent. */
export class CancelledError extends ServeError {
  constructor(message = 'Request cancelled by the client', options?: ServeErrorOptions) {
    super('CANCELLED', 'NSERVE_CANCELLED', 'CancelledException', message, options);
  }
}

// ---- start-up ----------------------------------------------------------------------------------

/**
 * A configuration value is wrong. `main` prints `message` on one line and exits with code 2
 * (no stack trace). The message names the key, the value and what was expected.
 */
export class ConfigError extends ServeError {
  readonly key: string;
  constructor(key: string, value: string, expected: string, options?: ServeErrorOptions) {
    super('INVALID_ARGUMENT', 'NSERVE_CONFIG', 'ConfigException', `invalid value for ${key}: ${JSON.stringify(value)} (expected ${expected})`, options);
    this.key = key;
  }
}

export function isServeError(err: unknown): err is ServeError {
  return err instanceof ServeError;
}
