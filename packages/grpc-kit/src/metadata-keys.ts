/** gRPC metadata keys Tessera reads and writes; one list so the edge and services agree. */
export const MetadataKeys = {
  requestId: 'x-request-id',
  traceparent: 'traceparent',
  /** The calling Tessera process's service token (see @tessera/auth service-tokens). */
  serviceToken: 'x-service-token',
  consistencyToken: 'x-consistency-token',
  // A -bin key: binary on the wire, so violation text may hold any Unicode.
  fieldViolations: 'x-field-violations-bin',
  /** The AppError's reason (google.rpc.ErrorInfo.reason), when it has one. */
  errorReason: 'x-error-reason',
  /** Milliseconds until a refused call may be retried (RESOURCE_EXHAUSTED); the edge's Retry-After. */
  retryAfterMs: 'x-retry-after-ms',
} as const;
