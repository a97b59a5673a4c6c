export { createGrpcServers, type ConnectionAge, type GrpcServers, type GrpcServersOptions } from './grpc-server.js';
export type { AuthKind, Authorize } from './auth-interceptor.js';
export { GRPC_STATUS_BY_KIND, grpcStatusFromHttp, javaClassName, toGrpcError, type GrpcError } from './status-mapping.js';
export { findPackageRoot, loadProtos, loaderOptions, PROTO_FILES, SERVICE_NAMES } from './proto-files.js';
