/**
 * The canonical gRPC status codes (google.rpc.Code). Kept here as plain numbers
 * so that domain code can raise errors without importing a transport library;
 * the values are the wire values, so the gRPC kit passes them through as they are.
 */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type Code = (typeof Code)[keyof typeof Code];

const names = new Map<number, string>(Object.entries(Code).map(([name, value]) => [value, name]));

/** The code's canonical name ("NOT_FOUND"), or "UNKNOWN" for a number outside the table. */
export function codeName(code: number): string {
  return names.get(code) ?? 'UNKNOWN';
}
