import { Metadata, status, type MethodDefinition, type ServiceError } from '@grpc/grpc-js';
import { codeName } from '@tessera/errors';
import type { ServiceTokenSigner } from '@tessera/auth';
import type { Registry } from 'prom-client';
import { currentCallContext } from './call-context';
import { inheritFromIncoming, requestMetadata, type CallOptions } from './call-options';
import { grpcMetrics, splitMethodPath, startCall } from './grpc-metrics';
import { MetadataKeys } from './metadata-keys';

/**
 * The target of services bound in this process (`npm start -- --monolith`,
 * the chart's `mode: monolith`): a client built for it calls the server's
 * handler directly, with the same policy check, admission, deadline,
 * cancellation, metadata, trailers, retries and metrics as over a socket, but
 * no HTTP/2 and no protobuf encoding when both ends use the same generated
 * definitions.
 */
export const IN_PROCESS_TARGET = 'in-process:';

export function isInProcessTarget(target: string): boolean {
  return target.startsWith(IN_PROCESS_TARGET);
}

/** One call as the server serves it: authenticated, authorized, admitted and handled; rejects with a ServiceError. */
export type LocalCall = (request: unknown, metadata: Metadata, deadline: number, signal: AbortSignal) => Promise<{ response: unknown; trailer: Metadata }>;

interface Bound {
  definition: MethodDefinition<unknown, unknown>;
  call: LocalCall;
}

/**
 * The services bound in this process, by method path. Like grpc's own
 * in-process transport, there is one per process: a process is one monolith.
 */
const bound = new Map<string, Bound>();

export function bindInProcess(definition: MethodDefinition<unknown, unknown>, call: LocalCall): void {
  if (bound.has(definition.path)) throw new Error(`${definition.path} is already bound in this process`);
  bound.set(definition.path, { definition, call });
}

export function unbindInProcess(paths: readonly string[]): void {
  for (const path of paths) bound.delete(path);
}

export function serviceError(code: number, details: string, metadata = new Metadata()): ServiceError {
  return Object.assign(new Error(`${code} ${codeName(code)}: ${details}`), { code, details, metadata });
}

type Invoke = (request: unknown, options?: CallOptions) => Promise<unknown>;

/**
 * A client method bound in-process. The request and response pass as objects
 * when the caller's definition is the server's; otherwise (a byte-forwarding
 * proxy) they are encoded on one side and decoded on the other.
 */
export function inProcessMethod(
  definition: MethodDefinition<unknown, unknown>,
  options: { registry: Registry; defaultDeadlineMs: number; maxAttempts: number; identity?: ServiceTokenSigner | undefined; bearer?: string | undefined },
): Invoke {
  const metrics = grpcMetrics(options.registry);
  const [grpcService, grpcMethod] = splitMethodPath(definition.path);
  const attempts = Math.min(Math.max(options.maxAttempts, 2), 5);
  const labels = { grpc_service: grpcService, grpc_method: grpcMethod, grpc_type: 'unary' };

  return async (request, callOptions = {}) => {
    // The same metadata and deadline as a socket call builds (client.ts).
    const metadata = requestMetadata(callOptions.bearer || !options.bearer ? callOptions : { ...callOptions, bearer: options.bearer });
    const deadline = inheritFromIncoming(Date.now() + (callOptions.deadlineMs ?? options.defaultDeadlineMs), metadata);
    if (options.identity) metadata.set(MetadataKeys.serviceToken, options.identity.current(grpcService) ?? (await options.identity.token(grpcService)));
    const end = startCall(metrics, 'client', labels);
    try {
      const { response, trailer } = await withRetries(attempts, deadline, () => attempt(definition, request, metadata, deadline, [currentCallContext()?.signal, callOptions.signal]));
      end(status.OK);
      callOptions.onTrailers?.(trailer);
      return response;
    } catch (error) {
      const failure = error as ServiceError;
      end(failure.code);
      callOptions.onTrailers?.(failure.metadata);
      throw failure;
    }
  };
}

/** Retries on UNAVAILABLE like the socket clients' retry policy (gRFC A6: jittered exponential backoff from 50 ms to 1 s), within the deadline. */
async function withRetries<T>(attempts: number, deadline: number, run: () => Promise<T>): Promise<T> {
  let backoffMs = 50;
  for (let n = 1; ; n++) {
    try {
      return await run();
    } catch (error) {
      const pause = Math.random() * backoffMs;
      if ((error as ServiceError).code !== status.UNAVAILABLE || n >= attempts || Date.now() + pause >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, pause));
      backoffMs = Math.min(backoffMs * 2, 1_000);
    }
  }
}

/** One attempt: the server's handler, raced against the deadline and the caller's cancellation. */
function attempt(definition: MethodDefinition<unknown, unknown>, request: unknown, metadata: Metadata, deadline: number, signals: (AbortSignal | undefined)[]): Promise<{ response: unknown; trailer: Metadata }> {
  const target = bound.get(definition.path);
  if (!target) return Promise.reject(serviceError(status.UNAVAILABLE, `no service in this process serves ${definition.path}`));
  const sameTypes = target.definition === definition;
  const abort = new AbortController();
  return new Promise((resolve, reject) => {
    const fail = (error: ServiceError) => {
      cleanup();
      if (!abort.signal.aborted) abort.abort(new Error(error.details));
      reject(error);
    };
    const timer = setTimeout(() => fail(serviceError(status.DEADLINE_EXCEEDED, 'Deadline exceeded')), Math.max(0, deadline - Date.now()));
    const onCancel = () => fail(serviceError(status.CANCELLED, 'Cancelled on client'));
    const watched = signals.filter((s): s is AbortSignal => s !== undefined);
    const cleanup = () => {
      clearTimeout(timer);
      for (const s of watched) s.removeEventListener('abort', onCancel);
    };
    if (watched.some((s) => s.aborted)) return onCancel();
    for (const s of watched) s.addEventListener('abort', onCancel, { once: true });
    // A copy of the metadata per attempt: the server side may add to what it reads.
    const incoming = metadata.clone();
    const input = sameTypes ? request : target.definition.requestDeserialize(definition.requestSerialize(request));
    target.call(input, incoming, deadline, abort.signal).then(
      ({ response, trailer }) => {
        cleanup();
        resolve({ response: sameTypes ? response : definition.responseDeserialize(target.definition.responseSerialize(response)), trailer });
      },
      (error: ServiceError) => {
        cleanup();
        reject(error);
      },
    );
  });
}
