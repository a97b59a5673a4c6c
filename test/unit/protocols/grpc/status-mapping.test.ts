import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  InvalidModelError,
  ModelNotFoundError,
  PredictionError,
  QueueFullError,
  RequestTimeoutError,
  UnauthenticatedError,
  WorkerDiedError,
  OutOfResourcesError,
} from '../../../../src/errors/index.js';
import { grpcStatusFromHttp, javaClassName, toGrpcError } from '../../../../src/protocols/grpc/status-mapping.js';

describe('toGrpcError', () => {
  it.each([
    [new ModelNotFoundError('m'), status.NOT_FOUND, 'Model not found: m\norg.pytorch.serve.archive.model.ModelNotFoundException'],
    [new InvalidModelError('no manifest'), status.INVALID_ARGUMENT, 'no manifest\norg.pytorch.serve.archive.model.InvalidModelException'],
    [new ConflictError('dup'), status.ALREADY_EXISTS, 'dup\norg.pytorch.serve.http.ConflictStatusException'],
    [new RequestTimeoutError('slow'), status.DEADLINE_EXCEEDED, 'slow\norg.pytorch.serve.http.RequestTimeoutException'],
    [new WorkerDiedError('timeout'), status.INTERNAL, 'Worker died.\norg.pytorch.serve.http.InternalServerException'],
    [new OutOfResourcesError(), status.INTERNAL, 'Out of resources\norg.pytorch.serve.http.InternalServerException'],
    [new PredictionError(), status.UNAVAILABLE, 'Prediction failed\norg.pytorch.serve.http.InternalServerException'],
    [new PredictionError('teapot', { status: 418 }), status.FAILED_PRECONDITION, 'teapot\norg.pytorch.serve.http.InternalServerException'],
    [new PredictionError('weird', { status: 200 }), status.UNKNOWN, 'weird\norg.pytorch.serve.http.InternalServerException'],
    [new UnauthenticatedError(), status.PERMISSION_DENIED, 'Token Authorization failed. Token either incorrect, expired, or not provided correctly'],
    [new Error('boom'), status.INTERNAL, 'boom\norg.pytorch.serve.http.InternalServerException'],
  ])('%s', (err, code, details) => {
    expect(toGrpcError(err)).toMatchObject({ code, details });
  });

  it('queue full is UNAVAILABLE, keeping TorchServe message', () => {
    const e = toGrpcError(new QueueFullError('m'));
    expect(e.code).toBe(status.UNAVAILABLE);
    expect(e.message).toMatch(/^Model "m" has no worker to serve inference request/);
    expect(e.reason).toBe('org.pytorch.serve.http.ServiceUnavailableException');
  });
});

describe("TorchServe's HTTP -> gRPC table", () => {
  it.each([
    [400, status.INVALID_ARGUMENT], [401, status.UNAUTHENTICATED], [403, status.PERMISSION_DENIED], [404, status.NOT_FOUND],
    [409, status.ABORTED], [413, status.RESOURCE_EXHAUSTED], [429, status.RESOURCE_EXHAUSTED], [416, status.OUT_OF_RANGE],
    [499, status.CANCELLED], [501, status.UNIMPLEMENTED], [503, status.UNAVAILABLE], [504, status.DEADLINE_EXCEEDED],
    [204, status.OK], [422, status.FAILED_PRECONDITION], [599, status.INTERNAL], [507, status.INTERNAL], [302, status.UNKNOWN],
  ])('%i -> %i', (http, code) => {
    expect(grpcStatusFromHttp(http)).toBe(code);
  });
});

it('javaClassName uses the archive package for model exceptions, http otherwise', () => {
  expect(javaClassName('DownloadArchiveException')).toBe('org.pytorch.serve.archive.DownloadArchiveException');
  expect(javaClassName('BadRequestException')).toBe('org.pytorch.serve.http.BadRequestException');
});
