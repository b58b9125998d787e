import { randomBytes, randomUUID } from 'node:crypto';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const REQUEST_ID = /^[\w.:-]{1,128}$/;

export interface TraceContext {
  /** The caller's request id when it is well-formed, else a new one. */
  requestId: string;
  traceId: string;
  /** W3C traceparent for work done on behalf of this request: the same trace, a new span. */
  traceparent: string;
}

/**
 * Continues the caller's trace (W3C Trace Context) or starts one when the
 * incoming values are missing or malformed. Shared by the edge (HTTP headers)
 * and the gRPC server (metadata), so both accept exactly the same ids.
 */
export function continueTrace(incomingRequestId: unknown, incomingTraceparent: unknown): TraceContext {
  const requestId = typeof incomingRequestId === 'string' && REQUEST_ID.test(incomingRequestId) ? incomingRequestId : randomUUID();
  const match = typeof incomingTraceparent === 'string' ? TRACEPARENT.exec(incomingTraceparent) : null;
  const traceId = match?.[1] ?? randomBytes(16).toString('hex');
  const flags = match?.[3] ?? '01';
  return { requestId, traceId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-${flags}` };
}
