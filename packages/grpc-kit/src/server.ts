import {
  Server,
  ServerCredentials,
  status as GrpcStatus,
  type handleUnaryCall,
  type Metadata,
  type MethodDefinition,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import { Metadata as GrpcMetadata } from '@grpc/grpc-js';
import type { Logger } from '@tessera/logging';
import { Counter, Gauge, type Registry } from 'prom-client';
import { AppError, Code, codeName, Reason } from '@tessera/errors';
import { runInCallContext, traceFromMetadata, type CallContext } from './call-context';
import { AdaptiveLimit, type AdaptiveLimitOptions, type Priority } from './adaptive-limit';
import { isServiceError, toServiceError } from './error-mapping';
import { findNulString } from './nul-guard';
import { logCall, observabilityInterceptor } from './server-interceptors';
import { endSpan, startServerSpan } from '@tessera/tracing';
import { MetadataKeys } from './metadata-keys';
import { grpcMetrics, splitMethodPath, startCall } from './grpc-metrics';
import { bindInProcess, serviceError, unbindInProcess } from './in-process';
import { authorizeCall, type CallAuthentication, type Policies, type Policy } from './policy';

/**
 * A service implementation in the kit's style: each unary method is an async
 * function of the request and the call context. Derived from the ts-proto
 * `XServer` interface, so handlers stay typed against the generated contract.
 */
export type AsyncServiceImpl<S> = {
  [K in keyof S as string extends K ? never : K]: S[K] extends handleUnaryCall<infer Req, infer Res>
    ? (request: Req, ctx: CallContext) => Promise<Res>
    : never;
};

export interface GrpcServerOptions {
  logger: Logger;
  registry: Registry;
  /** Files under `protoRoot` to expose through server reflection (grpcurl, grpcui); omitted: no reflection. */
  reflection?: { protoRoot: string; files: string[] } | undefined;
  /** How callers prove who they are; each method's policy says who may call it. Omitted: only public methods can be called. */
  auth?: CallAuthentication;
  /**
   * Connections are closed after this age (with a grace period for calls in
   * flight), so clients re-resolve DNS and spread onto pods added by scale-out.
   */
  maxConnectionAgeMs?: number;
  maxConnectionAgeGraceMs?: number;
  /** How long to stay up answering NOT_SERVING before refusing calls, so load balancers notice first. */
  drainDelayMs?: number;
  /** How long in-flight calls get to finish once draining, before they are cut off. */
  shutdownTimeoutMs?: number;
  /** Adaptive admission (load shedding); omitted: none. Methods named in `critical` (e.g. "GetOrder") get headroom. */
  admission?: AdaptiveLimitOptions & { critical?: readonly string[] };
}

/** A handler's failure as the status it answers (both transports): the mapped error, with the trailers the handler set. */
function failureOf(error: unknown, ctx: CallContext): { code: number; details: string; metadata: Metadata } {
  const mapped = toServiceError(error, ctx.logger);
  const metadata = mapped.metadata ?? new GrpcMetadata();
  for (const [key, value] of Object.entries(ctx.trailer.getMap())) metadata.set(key, value as string);
  return { code: mapped.code ?? GrpcStatus.INTERNAL, details: mapped.details ?? 'internal error', metadata };
}

/** Codes that mean the server failed (a span's error status), as opposed to refusing the caller. */
const SERVER_FAULTS: ReadonlySet<number> = new Set([GrpcStatus.UNKNOWN, GrpcStatus.INTERNAL, GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.DATA_LOSS]);

/** Health service name that stays SERVING while the process drains: for liveness probes, which must not kill a draining pod. */
const LIVENESS_SERVICE = 'liveness';

/**
 * A gRPC server with the platform's standard parts: health (grpc.health.v1),
 * reflection, metrics and logging interceptors, error mapping, a connection
 * age limit, and graceful drain.
 */
export class GrpcServer {
  private readonly server: Server;
  private readonly health = new HealthImplementation({ '': 'NOT_SERVING', [LIVENESS_SERVICE]: 'SERVING' });
  private readonly serviceNames: string[] = [];
  private draining: Promise<void> | undefined;
  /** Every method added, for binding in-process. */
  private readonly methods: { definition: MethodDefinition<unknown, unknown>; serve: ReturnType<GrpcServer['serveUnary']> }[] = [];
  private boundInProcess = false;
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private readonly admission: AdaptiveLimit | undefined;
  private readonly shed: Counter<'grpc_method'>;

  constructor(private readonly options: GrpcServerOptions) {
    this.admission = options.admission ? new AdaptiveLimit(options.admission) : undefined;
    // Several servers may share a registry (tests): the first registers the families, the others reuse them.
    this.shed =
      (options.registry.getSingleMetric('grpc_server_shed_total') as Counter<'grpc_method'> | undefined) ??
      new Counter({ name: 'grpc_server_shed_total', help: 'Calls refused by adaptive admission (load shedding), by method.', labelNames: ['grpc_method'], registers: [options.registry] });
    const limit = this.admission;
    if (limit && !options.registry.getSingleMetric('grpc_server_admission_limit')) {
      new Gauge({ name: 'grpc_server_admission_limit', help: 'The adaptive concurrency limit of this server.', registers: [options.registry], collect() { this.set(limit.limit); } });
    }
    this.server = new Server({
      interceptors: [observabilityInterceptor(options.registry, options.logger)],
      'grpc.max_connection_age_ms': options.maxConnectionAgeMs ?? 5 * 60_000,
      'grpc.max_connection_age_grace_ms': options.maxConnectionAgeGraceMs ?? 30_000,
      // Clients send keepalive pings (see client.ts); accept them rather than answering GOAWAY.
      'grpc.keepalive_permit_without_calls': 1,
    });
    this.health.addToServer(this.server);
    if (options.reflection) {
      const definition = loadSync(options.reflection.files, { includeDirs: [options.reflection.protoRoot], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
      new ReflectionService(definition).addToServer(this.server);
    }
  }

  /**
   * Adds a service whose handlers are async functions; they run with the call
   * context available to outgoing clients. Every method needs a policy: the
   * caller is authenticated and authorized against it before the handler runs.
   */
  addService<S>(definition: ServiceDefinition, impl: AsyncServiceImpl<S>, policies: Policies<S>): this {
    const handlers: UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(definition)) {
      const handler = (impl as Record<string, (req: unknown, ctx: CallContext) => Promise<unknown>>)[name];
      if (typeof handler !== 'function') throw new Error(`no handler for ${method.path}`);
      const policy = (policies as Record<string, Policy | undefined>)[name];
      if (!policy) throw new Error(`no policy for ${method.path}: every method declares who may call it`);
      if (method.requestStream || method.responseStream) throw new Error(`${method.path}: only unary methods are supported by addService`);
      const methodName = method.path.slice(method.path.lastIndexOf('/') + 1);
      const audience = method.path.slice(1, method.path.lastIndexOf('/'));
      const serve = this.serveUnary(handler, methodName, this.options.admission?.critical?.includes(methodName) ? 'critical' : 'normal', policy, audience);
      handlers[name] = this.overSocket(serve);
      this.methods.push({ definition: method as MethodDefinition<unknown, unknown>, serve });
    }
    this.server.addService(definition, handlers);
    const first = Object.values(definition)[0];
    if (first) this.serviceNames.push(first.path.slice(1, first.path.lastIndexOf('/')));
    return this;
  }

  /** Binds and starts serving; returns the bound port (pass port 0 for a free one). */
  async listen(host: string, port: number): Promise<number> {
    const bound = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
    );
    this.setStatus('SERVING');
    this.options.logger.info({ port: bound, services: this.serviceNames }, 'grpc server listening');
    return bound;
  }

  /**
   * Graceful drain: report NOT_SERVING (readiness fails, clients' health checks
   * move away), wait drainDelayMs, then stop taking calls and let the ones in
   * flight finish, cutting them off after shutdownTimeoutMs.
   */
  drain(): Promise<void> {
    this.draining ??= (async () => {
      const { drainDelayMs = 0, shutdownTimeoutMs = 25_000, logger } = this.options;
      this.setStatus('NOT_SERVING');
      logger.info({ drainDelayMs }, 'draining: health is NOT_SERVING');
      if (drainDelayMs > 0) await new Promise((r) => setTimeout(r, drainDelayMs));
      if (this.boundInProcess) {
        // New in-process calls are refused from here (UNAVAILABLE); the ones in flight get the same timeout.
        unbindInProcess(this.methods.map((m) => m.definition.path));
        if (this.inFlight > 0) await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, shutdownTimeoutMs);
          this.idle = () => { clearTimeout(timer); resolve(); };
        });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          logger.warn({ shutdownTimeoutMs }, 'calls still in flight after the shutdown timeout; forcing');
          this.server.forceShutdown();
          resolve();
        }, shutdownTimeoutMs);
        this.server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      logger.info('grpc server stopped');
    })();
    return this.draining;
  }

  /** Immediate stop, for tests and second signals. */
  forceShutdown(): void {
    this.server.forceShutdown();
  }

  private setStatus(status: ServingStatus): void {
    this.health.setStatus('', status);
    for (const name of this.serviceNames) this.health.setStatus(name, status);
  }

  /**
   * Serves the services added so far inside this process as well (a monolith):
   * clients whose target is IN_PROCESS_TARGET call them without a socket, and
   * get the same policy check, admission, error mapping, metrics and logs.
   */
  bindInProcess(): void {
    const metrics = grpcMetrics(this.options.registry);
    for (const { definition, serve } of this.methods) {
      const [grpcService, grpcMethod] = splitMethodPath(definition.path);
      const labels = { grpc_service: grpcService, grpc_method: grpcMethod, grpc_type: 'unary' };
      bindInProcess(definition, async (request, metadata, deadline, signal) => {
        const end = startCall(metrics, 'server', labels);
        // Measured and logged as the socket server's interceptor does; a call its caller gave up on ends as the caller saw it.
        const finish = (answered: number, ctx: CallContext, details?: string) => {
          const code = signal.aborted ? (Date.now() >= deadline ? GrpcStatus.DEADLINE_EXCEEDED : GrpcStatus.CANCELLED) : answered;
          logCall(ctx.logger, definition.path, code, end(code), ctx.requestId, details);
        };
        this.inFlight++;
        const { ctx, handled } = serve(request, metadata, deadline, signal, 'in-process');
        try {
          const response = await handled;
          finish(GrpcStatus.OK, ctx);
          return { response, trailer: ctx.trailer };
        } catch (error) {
          const failure = failureOf(error, ctx);
          finish(failure.code, ctx, failure.details);
          throw serviceError(failure.code, failure.details, failure.metadata);
        } finally {
          if (--this.inFlight === 0) this.idle?.();
        }
      });
    }
    this.boundInProcess = true;
    this.setStatus('SERVING');
  }

  /** One call, from its request, metadata, deadline and cancellation to the handler's promise (no transport in it). */
  private serveUnary(handler: (req: unknown, ctx: CallContext) => Promise<unknown>, methodName: string, priority: Priority, policy: Policy, audience: string) {
    const { logger } = this.options;
    const auth = this.options.auth ?? {};
    return (request: unknown, metadata: Metadata, deadline: number, signal: AbortSignal, peer: string): { ctx: CallContext; handled: Promise<unknown> } => {
      // With tracing on, this call's span is the parent of the work it does and of the calls it makes.
      const span = startServerSpan(`${audience}/${methodName}`, metadata.get(MetadataKeys.traceparent)[0], { 'rpc.system': 'grpc', 'rpc.service': audience, 'rpc.method': methodName });
      const trace = span ? { ...traceFromMetadata(metadata), traceId: span.traceId, traceparent: span.traceparent } : traceFromMetadata(metadata);
      const ctx: CallContext = {
        ...trace,
        deadline,
        signal,
        metadata,
        trailer: new GrpcMetadata(),
        logger: logger.child({ requestId: trace.requestId, traceId: trace.traceId }),
        peer,
        caller: {},
      };
      const nul = findNulString(request);
      const release = nul ? undefined : this.admission?.acquire(priority);
      if (!nul && this.admission && !release) this.shed.inc({ grpc_method: methodName });
      const handle = (): Promise<unknown> =>
        nul
          ? Promise.reject(AppError.invalidArgument('request has invalid fields', [{ field: nul, description: 'must not contain NUL characters' }]))
          : this.admission && !release
            ? Promise.reject(new AppError(Code.RESOURCE_EXHAUSTED, 'the service is overloaded; try again shortly', [], { reason: Reason.OVERLOADED, retryAfterMs: 1_000 }))
            : policy.kind === 'public'
              ? runInCallContext(ctx, () => handler(request, ctx))
              : authorizeCall(policy, metadata, request, audience, auth).then((caller) => {
                  ctx.caller = caller;
                  return runInCallContext(ctx, () => handler(request, ctx));
                });
      const handled = span ? span.run(handle) : handle();
      if (span) {
        handled.then(
          () => endSpan(span.span, { 'rpc.grpc.status_code': GrpcStatus.OK }, false),
          (error: unknown) => {
            const code = error instanceof AppError ? error.code : isServiceError(error) ? error.code : GrpcStatus.INTERNAL;
            endSpan(span.span, { 'rpc.grpc.status_code': code }, SERVER_FAULTS.has(code), codeName(code));
          },
        );
      }
      if (release) void handled.then(() => release(), () => release(signal.aborted ? 'dropped' : 'ok'));
      return { ctx, handled };
    };
  }

  /** The same call served over a grpc-js socket. */
  private overSocket(serve: ReturnType<GrpcServer['serveUnary']>) {
    return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
      const abort = new AbortController();
      call.once('cancelled', () => abort.abort(new Error('call cancelled')));
      const { ctx, handled } = serve(call.request, call.metadata, Number(call.getDeadline()), abort.signal, call.getPeer());
      handled.then(
        (response) => callback(null, response, ctx.trailer),
        (error: unknown) => callback(failureOf(error, ctx)),
      );
    };
  }
}
