import {
  credentials,
  InterceptingCall,
  Metadata,
  status,
  type CallOptions as GrpcCallOptions,
  type Client,
  type ClientUnaryCall,
  type Interceptor,
  type MethodDefinition,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import type { ServiceTokenSigner } from '@tessera/auth';
import { currentCallContext } from './call-context';
import { grpcMetrics, methodType, splitMethodPath, startCall } from './grpc-metrics';
import { MetadataKeys } from './metadata-keys';
import { inProcessMethod, isInProcessTarget } from './in-process';
import { inheritFromIncoming, requestMetadata, type CallOptions } from './call-options';

export type { CallOptions } from './call-options';

export interface ClientOptions {
  registry: Registry;
  /** Deadline for calls that set none and have no incoming call to inherit from. */
  defaultDeadlineMs?: number;
  /** Attempts per call, the first included, when the server answers UNAVAILABLE (gRFC A6 caps it at 5). */
  maxAttempts?: number;
  /** Keepalive ping interval; detects dead connections that TCP alone would keep for minutes. */
  keepaliveTimeMs?: number;
  /** This process's service identity: every call carries a token for the callee's service. Omitted: calls as an outside client. */
  identity?: ServiceTokenSigner | undefined;
  /** An access token sent with every call that names none (a script's or outside client's own credential). */
  bearer?: string | undefined;
}


type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<GrpcCallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

/** A generated grpc-js client with each unary method turned into `(request, options?) => Promise<response>`. */
export type PromiseClient<C> = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- matching any unary signature
  [K in keyof C as C[K] extends UnaryMethod<any, any> ? K : never]: C[K] extends UnaryMethod<infer Req, infer Res>
    ? (request: Req, options?: CallOptions) => Promise<Res>
    : never;
} & { close(): void };

type ClientConstructor<C> = new (address: string, creds: ReturnType<typeof credentials.createInsecure>, options?: object) => C;

/**
 * Builds a client for one service: `dns:///` resolution with round_robin over
 * every address (a headless Service in Kubernetes yields one per pod), retries
 * on UNAVAILABLE only, keepalive, metrics, and a deadline on every call. When
 * called while serving a gRPC call, the outgoing call inherits its deadline,
 * cancellation, request id and trace. A target of IN_PROCESS_TARGET calls the
 * services bound in this process instead, with the same behaviour and no socket.
 */
export function createClient<C extends Client>(
  Ctor: ClientConstructor<C>,
  definition: ServiceDefinition,
  target: string,
  options: ClientOptions,
): PromiseClient<C> {
  const { defaultDeadlineMs = 5_000, maxAttempts = 4, keepaliveTimeMs = 30_000 } = options;
  const first = Object.values(definition)[0];
  if (!first) throw new Error('empty service definition');
  const serviceName = splitMethodPath(first.path)[0];
  if (isInProcessTarget(target)) {
    const local: Record<string, unknown> = { close: () => undefined };
    for (const [name, method] of Object.entries(definition)) {
      if (!method.requestStream && !method.responseStream) local[name] = inProcessMethod(method as MethodDefinition<unknown, unknown>, { ...options, defaultDeadlineMs, maxAttempts });
    }
    return local as PromiseClient<C>;
  }
  const serviceConfig = {
    loadBalancingConfig: [{ round_robin: {} }],
    methodConfig: [
      {
        name: [{ service: serviceName }],
        // UNAVAILABLE means the request never reached a handler, so any method
        // is safe to retry on it; nothing else is retried (gRFC A6).
        retryPolicy: {
          maxAttempts: Math.min(Math.max(maxAttempts, 2), 5),
          initialBackoff: '0.05s',
          maxBackoff: '1s',
          backoffMultiplier: 2,
          retryableStatusCodes: ['UNAVAILABLE'],
        },
      },
    ],
  };
  const client = new Ctor(normalizeTarget(target), credentials.createInsecure(), {
    'grpc.service_config': JSON.stringify(serviceConfig),
    'grpc.enable_retries': 1,
    'grpc.keepalive_time_ms': keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': 10_000,
    interceptors: [metricsInterceptor(options.registry), contextInterceptor(defaultDeadlineMs), ...(options.identity ? [identityInterceptor(options.identity, serviceName)] : [])],
  });

  const wrapped: Record<string, unknown> = { close: () => client.close() };
  for (const [name, method] of Object.entries(definition)) {
    if (method.requestStream || method.responseStream) continue;
    const fn = (client as unknown as Record<string, UnaryMethod<unknown, unknown>>)[name]!.bind(client);
    wrapped[name] = (request: unknown, callOptions: CallOptions = {}) => invoke(fn, request, options.bearer && !callOptions.bearer ? { ...callOptions, bearer: options.bearer } : callOptions);
  }
  return wrapped as PromiseClient<C>;
}

function invoke<Req, Res>(fn: UnaryMethod<Req, Res>, request: Req, options: CallOptions): Promise<Res> {
  const metadata = requestMetadata(options);
  const grpcOptions: Partial<GrpcCallOptions> = options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs };
  return new Promise<Res>((resolve, reject) => {
    const call = fn(request, metadata, grpcOptions, (error, response) => (error ? reject(error) : resolve(response)));
    if (options.onTrailers) call.on('status', (s) => options.onTrailers!(s.metadata));
    if (options.signal) {
      const onAbort = () => call.cancel();
      if (options.signal.aborted) onAbort();
      else {
        options.signal.addEventListener('abort', onAbort, { once: true });
        call.on('status', () => options.signal!.removeEventListener('abort', onAbort));
      }
    }
  });
}

/** "users:50051" → "dns:///users:50051"; targets with a scheme (dns:, ipv4:, unix:) pass through. */
export function normalizeTarget(target: string): string {
  return /^(dns|ipv4|ipv6|unix|unix-abstract|vsock):/.test(target) ? target : `dns:///${target}`;
}

/** Caps the deadline by the incoming call's, propagates request id and trace, and follows its cancellation. */
function contextInterceptor(defaultDeadlineMs: number): Interceptor {
  return (options, nextCall) => {
    const ctx = currentCallContext();
    const requested = options.deadline === undefined ? Date.now() + defaultDeadlineMs : Number(options.deadline);
    const deadline = ctx ? Math.min(requested, ctx.deadline) : requested;
    const call = new InterceptingCall(nextCall({ ...options, deadline }), {
      start: (metadata, listener, next) => {
        inheritFromIncoming(deadline, metadata);
        next(metadata, listener);
      },
    });
    if (ctx) {
      const onAbort = () => call.cancelWithStatus(status.CANCELLED, 'the incoming call was cancelled');
      if (ctx.signal.aborted) process.nextTick(onAbort);
      else ctx.signal.addEventListener('abort', onAbort, { once: true });
    }
    return call;
  };
}

/** Adds this process's service token for the callee (signed once per half-life; the first call waits for it). */
function identityInterceptor(identity: ServiceTokenSigner, audience: string): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) => {
        const token = identity.current(audience);
        if (token) {
          metadata.set(MetadataKeys.serviceToken, token);
          next(metadata, listener);
          return;
        }
        identity.token(audience).then(
          (fresh) => {
            metadata.set(MetadataKeys.serviceToken, fresh);
            next(metadata, listener);
          },
          // Signing with a loaded key does not fail in practice; if it did, the callee answers UNAUTHENTICATED.
          () => next(metadata, listener),
        );
      },
    });
}

function metricsInterceptor(registry: Registry): Interceptor {
  const metrics = grpcMetrics(registry);
  return (options, nextCall) => {
    const definition = options.method_definition;
    const [grpcService, grpcMethod] = splitMethodPath(definition.path);
    const end = startCall(metrics, 'client', { grpc_service: grpcService, grpc_method: grpcMethod, grpc_type: methodType(definition) });
    return new InterceptingCall(nextCall(options), {
      start: (metadata, _listener, next) => {
        next(metadata, {
          onReceiveStatus: (s, nextStatus) => {
            end(s.code);
            nextStatus(s);
          },
        });
      },
    });
  };
}
