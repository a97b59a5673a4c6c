/**
 * Server interceptors: token authorization and the gRPC access log.
 *
 * Authorization (TorchServe's GRPCInterceptor): the `authorization` metadata entry
 * (`Bearer <key>`) is handed to `authorize(kind, value)` before the call reaches its service;
 * `kind` is 'management' for the management service and 'inference' for everything else
 * (Ping included). A rejection ends the call with the mapped status (PERMISSION_DENIED and the
 * bare message for an UnauthenticatedError) and the service never runs.
 *
 * Access log line: `<peer> "gRPC <full method path> HTTP/2.0" <status code> <ms>`.
 */
import { ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import { MANAGEMENT_PATH_PREFIX } from './proto-files.js';
import { toServiceError } from './status-mapping.js';

export type AuthKind = 'inference' | 'management';
export type Authorize = (kind: AuthKind, authorizationHeader: string | undefined) => void;

export function authKindOf(methodPath: string): AuthKind {
  return methodPath.startsWith(MANAGEMENT_PATH_PREFIX) ? 'management' : 'inference';
}

export function authInterceptor(authorize: Authorize): ServerInterceptor {
  return (method, call) => {
    const kind = authKindOf(method.path);
    return new ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, forward) => {
            const value = metadata.get('authorization')[0];
            try {
              authorize(kind, typeof value === 'string' ? value : value?.toString('utf8'));
            } catch (err) {
              call.sendStatus(toServiceError(err));
              return;
            }
            forward(metadata);
          },
        });
      },
    });
  };
}

export function accessLogInterceptor(log: (line: string) => void, now: () => number = performance.now.bind(performance)): ServerInterceptor {
  return (method, call) => {
    const started = now();
    return new ServerInterceptingCall(call, {
      sendStatus: (status, next) => {
        log(`${call.getPeer()} "gRPC ${method.path} HTTP/2.0" ${status.code} ${Math.round(now() - started)}`);
        next(status);
      },
    });
  };
}
