import { AsyncLocalStorage } from 'node:async_hooks';
import type { Metadata } from '@grpc/grpc-js';
import type { Logger } from '@tessera/logging';
import { MetadataKeys } from './metadata-keys';
import { continueTrace, type TraceContext } from './trace-context';
import type { Caller } from './policy';

/** What a handler knows about the call it serves. */
export interface CallContext {
  /** The caller's x-request-id, or a new one. */
  requestId: string;
  /** W3C traceparent for calls made on behalf of this one (same trace, this call as parent). */
  traceparent: string;
  traceId: string;
  /** Absolute deadline in epoch milliseconds; Infinity when the caller set none. */
  deadline: number;
  /** Aborted when the caller cancels or the deadline passes; pass it to anything slow. */
  signal: AbortSignal;
  /** Incoming request metadata. */
  metadata: Metadata;
  /** Metadata sent back with the status (e.g. a consistency token). */
  trailer: Metadata;
  logger: Logger;
  /** The transport peer ("10.0.0.7:53412", "[::1]:53412"): a proxy's address when one is in between. */
  peer: string;
  /** Who is calling, as the method's policy proved it (empty for public methods). */
  caller: Caller;
}

const storage = new AsyncLocalStorage<CallContext>();

/**
 * The context of the gRPC call being served, if any. The client interceptors
 * read it to propagate deadline, cancellation, request id and trace to
 * downstream calls without every handler threading them through by hand.
 */
export function currentCallContext(): CallContext | undefined {
  return storage.getStore();
}

export function runInCallContext<T>(ctx: CallContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** Reads request id and trace from metadata, starting a new trace when there is none (or it is malformed). */
export function traceFromMetadata(metadata: Metadata): TraceContext {
  return continueTrace(metadata.get(MetadataKeys.requestId)[0], metadata.get(MetadataKeys.traceparent)[0]);
}
