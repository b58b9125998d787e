export { GrpcServer, type GrpcServerOptions, type AsyncServiceImpl } from './server';
export { createClient, type ClientOptions, type PromiseClient, type CallOptions } from './client';
export { currentCallContext, type CallContext } from './call-context';
export { toServiceError } from './error-mapping';
export { onShutdown } from './shutdown';
export { runMain, serveGrpc, grpcServiceConfigShape, type RunningService, type ServeOptions } from './service-main';
export { MetadataKeys } from './metadata-keys';
export { incomingConsistencyTokens, returnConsistencyToken } from './consistency';
export { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
