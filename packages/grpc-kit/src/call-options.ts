import type { Metadata } from '@grpc/grpc-js';

/** Per-call options of a promise client, over a socket or in-process. */
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
