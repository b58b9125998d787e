import type { CallContext } from './call-context';
import { MetadataKeys } from './metadata-keys';

/** Consistency tokens the caller sent (possibly several values, each possibly a comma-separated list). */
export function incomingConsistencyTokens(ctx: CallContext): string[] {
  return ctx.metadata.get(MetadataKeys.consistencyToken).map(String);
}

/**
 * Sends a write's consistency token back in the trailers, where the edge picks
 * it up for the client. The one way tokens leave a service: repositories
 * return them with each write, handlers pass them here ('' means no write).
 */
export function returnConsistencyToken(ctx: CallContext, token: string): void {
  if (token) ctx.trailer.set(MetadataKeys.consistencyToken, token);
}
