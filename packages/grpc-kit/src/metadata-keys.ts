/** gRPC metadata keys Tessera reads and writes; one list so the edge and services agree. */
export const MetadataKeys = {
  requestId: 'x-request-id',
  traceparent: 'traceparent',
  consistencyToken: 'x-consistency-token',
  fieldViolations: 'x-field-violations',
} as const;
