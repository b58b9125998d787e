import { Metadata } from '@grpc/grpc-js';
import { currentCallContext } from './call-context';
import { MetadataKeys } from './metadata-keys';

/** Per-call options of a promise client, and what every call builds from them, over a socket or in-process. */
export interface CallOptions {
  /** Extra request metadata. */
  metadata?: Record<string, string>;
  /** The signed-in principal's access token, forwarded as `authorization: Bearer …` (user-scoped methods need it). */
  bearer?: string | undefined;
  /** Deadline for this call, relative; the incoming call's deadline still caps it. */
  deadlineMs?: number;
  /** Cancels the call. */
  signal?: AbortSignal;
  /** Receives the response trailers (e.g. a consistency token). */
  onTrailers?: (trailers: Metadata) => void;
}

/** A call's own metadata: what the caller passed and its principal's bearer token (both transports). */
export function requestMetadata(options: CallOptions): Metadata {
  const metadata = new Metadata();
  if (options.metadata) for (const [key, value] of Object.entries(options.metadata)) metadata.set(key, value);
  if (options.bearer) metadata.set('authorization', `Bearer ${options.bearer}`);
  return metadata;
}

/** What a call made while serving another inherits from it: a deadline no later than its own, its request id and trace (both transports). */
export function inheritFromIncoming(deadline: number, metadata: Metadata): number {
  const ctx = currentCallContext();
  if (!ctx) return deadline;
  if (metadata.get(MetadataKeys.requestId).length === 0) metadata.set(MetadataKeys.requestId, ctx.requestId);
  if (metadata.get(MetadataKeys.traceparent).length === 0) metadata.set(MetadataKeys.traceparent, ctx.traceparent);
  return Math.min(deadline, ctx.deadline);
}
