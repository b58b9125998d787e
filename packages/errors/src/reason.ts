/**
 * Reasons that travel with an error (google.rpc.ErrorInfo style) so that
 * callers branch on a code, never on message text. UPPER_SNAKE_CASE, stable:
 * clients may see them through the edge's mapping.
 */
export const Reason = {
  /** An Idempotency-Key was reused with a different request. */
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  /** The server refused the call to protect the latency of what it admitted (load shedding): retry after the delay. */
  OVERLOADED: 'OVERLOADED',
} as const;

export type Reason = (typeof Reason)[keyof typeof Reason];
