import { ServerInterceptingCall, ServerListenerBuilder, status, type ServerInterceptor } from '@grpc/grpc-js';
import { codeName } from '@tessera/errors';
import type { Logger } from '@tessera/logging';
import { grpcMetrics, methodType, splitMethodPath, startCall } from './grpc-metrics';
import { MetadataKeys } from './metadata-keys';
import type { Registry } from 'prom-client';

/**
 * Records RED metrics and one access-log line per call, and is the last line of
 * defence for error hygiene: a status that reaches the wire as UNKNOWN (a
 * handler that bypassed the kit's error mapping) is replaced by a generic
 * INTERNAL, because grpc-js would otherwise send the raw error message.
 */
export function observabilityInterceptor(registry: Registry, logger: Logger): ServerInterceptor {
  const metrics = grpcMetrics(registry);
  return (descriptor, call) => {
    const [grpcService, grpcMethod] = splitMethodPath(descriptor.path);
    const end = startCall(metrics, 'server', { grpc_service: grpcService, grpc_method: grpcMethod, grpc_type: methodType(descriptor) });
    let done = false;
    let requestId: string | undefined;

    const finish = (code: number, details: string | undefined): void => {
      if (done) return;
      done = true;
      logCall(logger, descriptor.path, code, end(code), requestId, details);
    };

    return new ServerInterceptingCall(call, {
      start: (next) => {
        next(
          new ServerListenerBuilder()
            .withOnReceiveMetadata((metadata, nextMetadata) => {
              const id = metadata.get(MetadataKeys.requestId)[0];
              if (typeof id === 'string') requestId = id.slice(0, 128);
              nextMetadata(metadata);
            })
            .withOnCancel(() => finish(call.getDeadline() !== Infinity && Date.now() >= Number(call.getDeadline()) ? status.DEADLINE_EXCEEDED : status.CANCELLED, 'cancelled'))
            .build(),
        );
      },
      sendStatus: (outgoing, next) => {
        const safe = outgoing.code === status.UNKNOWN ? { ...outgoing, code: status.INTERNAL, details: 'internal error' } : outgoing;
        finish(safe.code, outgoing.details);
        next(safe);
      },
    });
  };
}

/** The access-log line of one served call: an error for server faults, debug for the rest (both transports). */
export function logCall(logger: Logger, path: string, code: number, seconds: number, requestId: string | undefined, details: string | undefined): void {
  const line = { grpc: path, code: codeName(code), ms: Math.round(seconds * 1e4) / 10, requestId };
  if (code === status.INTERNAL || code === status.UNKNOWN || code === status.DATA_LOSS) logger.error({ ...line, details }, 'rpc failed');
  else logger.debug(line, 'rpc');
}
