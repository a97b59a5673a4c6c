/**
 * THE single table from the error catalog to gRPC status codes, and the format of the status
 * details. Every gRPC service in this folder reports errors through `toGrpcError`; no other
 * file picks a status code.
 *
 * Choices (TorchServe 0.12 behaviour, spec torchserve.md §7.3, unless noted):
 * - Management errors keep TorchServe's codes: not found -> NOT_FOUND, bad request / invalid
 *   model / download failure -> INVALID_ARGUMENT, worker and other failures -> INTERNAL.
 * - Errors a handler or worker reports go through TorchServe's HTTP -> gRPC table
 *   (`grpcStatusFromHttp`): an error carrying an explicit HTTP `status` (a handler's
 *   PredictionError(…, {status})) is mapped from that status; a handler failure (HTTP 503)
 *   is UNAVAILABLE, "Worker died." (500) and out-of-resources (507) are INTERNAL.
 * - Token failure -> PERMISSION_DENIED with the bare message (TorchServe's interceptor; REST
 *   answers 400 for the same failure).
 * - DELIBERATE DEVIATION, inference service: TorchServe answers INTERNAL (13) for an unknown
 *   model/version, a missing `model_name` and a full queue / no worker on Predictions,
 *   StreamPredictions and ModelInfer (its frontend hard-codes INTERNAL there, while the same
 *   errors are NOT_FOUND on its management and OIP metadata rpcs). nserve uses one code per
 *   error everywhere: NOT_FOUND, INVALID_ARGUMENT and UNAVAILABLE. Clients that treated any
 *   non-OK status as failure see no difference; clients with retry policies now retry a full
 *   queue (UNAVAILABLE) and do not retry a missing model.
 * - Register of an existing name+version: TorchServe lets the exception escape (UNKNOWN); nserve
 *   answers ALREADY_EXISTS. REQUEST_TIMEOUT (408) is DEADLINE_EXCEEDED (TorchServe's table
 *   would give FAILED_PRECONDITION).
 *
 * Details: `"<message>\n<Java exception class>"`, as grpc-java's augmentDescription writes it
 * in TorchServe (e.g. `Model not found: m\norg.pytorch.serve.archive.model.ModelNotFoundException`).
 * The class is the canonical name of the error's `tsType`; errors from handlers and workers
 * carry `org.pytorch.serve.http.InternalServerException`, as in TorchServe.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { isServeError, type ErrorKind } from '../../errors/index.js';
import { errorMessage } from '../../util/error-message.js';

export const GRPC_STATUS_BY_KIND: Readonly<Record<ErrorKind, GrpcStatus>> = {
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  UNAUTHENTICATED: GrpcStatus.PERMISSION_DENIED,
  FORBIDDEN: GrpcStatus.PERMISSION_DENIED,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  METHOD_NOT_ALLOWED: GrpcStatus.FAILED_PRECONDITION,
  REQUEST_TIMEOUT: GrpcStatus.DEADLINE_EXCEEDED,
  ALREADY_EXISTS: GrpcStatus.ALREADY_EXISTS,
  PAYLOAD_TOO_LARGE: GrpcStatus.RESOURCE_EXHAUSTED,
  WORKER_DIED: GrpcStatus.INTERNAL,
  INTERNAL: GrpcStatus.INTERNAL,
  NOT_IMPLEMENTED: GrpcStatus.UNIMPLEMENTED,
  PREDICTION_FAILED: GrpcStatus.UNAVAILABLE,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  OUT_OF_RESOURCES: GrpcStatus.INTERNAL,
  CANCELLED: GrpcStatus.CANCELLED,
};

/** TorchServe's HTTP -> gRPC table (GRPCUtils), used for handler-chosen HTTP statuses. */
export function grpcStatusFromHttp(httpStatus: number): GrpcStatus {
  switch (httpStatus) {
    case 400:
      return GrpcStatus.INVALID_ARGUMENT;
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.NOT_FOUND;
    case 409:
      return GrpcStatus.ABORTED;
    case 413:
    case 429:
      return GrpcStatus.RESOURCE_EXHAUSTED;
    case 416:
      return GrpcStatus.OUT_OF_RANGE;
    case 499:
      return GrpcStatus.CANCELLED;
    case 501:
      return GrpcStatus.UNIMPLEMENTED;
    case 503:
      return GrpcStatus.UNAVAILABLE;
    case 504:
      return GrpcStatus.DEADLINE_EXCEEDED;
    default:
      if (httpStatus >= 200 && httpStatus < 300) return GrpcStatus.OK;
      if (httpStatus >= 400 && httpStatus < 500) return GrpcStatus.FAILED_PRECONDITION;
      if (httpStatus >= 500 && httpStatus < 600) return GrpcStatus.INTERNAL;
      return GrpcStatus.UNKNOWN;
  }
}

const JAVA_PACKAGES: Readonly<Record<string, string>> = {
  ModelNotFoundException: 'org.pytorch.serve.archive.model',
  ModelVersionNotFoundException: 'org.pytorch.serve.archive.model',
  ModelException: 'org.pytorch.serve.archive.model',
  InvalidModelException: 'org.pytorch.serve.archive.model',
  InvalidKeyException: 'org.pytorch.serve.archive.model',
  DownloadArchiveException: 'org.pytorch.serve.archive',
};

/** `ModelNotFoundException` -> `org.pytorch.serve.archive.model.ModelNotFoundException`. */
export function javaClassName(tsType: string): string {
  return `${JAVA_PACKAGES[tsType] ?? 'org.pytorch.serve.http'}.${tsType}`;
}

export interface GrpcError {
  code: GrpcStatus;
  /** The status details (description) sent to the client. */
  details: string;
  /** The bare message (google.rpc.Status.message of an in-band error). */
  message: string;
  /** The Java class name (google.rpc.ErrorInfo.reason of an in-band error). */
  reason: string;
}

const INTERNAL_CLASS = 'org.pytorch.serve.http.InternalServerException';

export function toGrpcError(err: unknown): GrpcError {
  if (!isServeError(err)) {
    const message = errorMessage(err);
    return { code: GrpcStatus.INTERNAL, details: `${message}\n${INTERNAL_CLASS}`, message, reason: INTERNAL_CLASS };
  }
  if (err.kind === 'UNAUTHENTICATED') {
    return { code: GRPC_STATUS_BY_KIND.UNAUTHENTICATED, details: err.message, message: err.message, reason: javaClassName(err.tsType) };
  }
  let code = err.status === undefined ? GRPC_STATUS_BY_KIND[err.kind] : grpcStatusFromHttp(err.status);
  // A handler that "fails" with a 2xx status still failed: never report OK for an error.
  if (code === GrpcStatus.OK) code = GrpcStatus.UNKNOWN;
  const reason = javaClassName(err.tsType);
  return { code, details: `${err.message}\n${reason}`, message: err.message, reason };
}

/** The object grpc-js accepts as a call's error (callback argument or 'error' event). */
export function toServiceError(err: unknown): { code: GrpcStatus; details: string } {
  const { code, details } = toGrpcError(err);
  return { code, details };
}
