/**
 * Where ended sessions are written for every verifier to see (Redis): one
 * hash per token subject ("usr_…", "cli_…"), holding `sid:<session>` for
 * sessions that were logged out or revoked, and `all` = the epoch
 * milliseconds before which every token of the subject is dead (account
 * deleted, client deleted). The hash tag keeps a subject's fields on one
 * Redis Cluster slot. A notice on the change feed's `revocations` topic,
 * carrying the subject, tells verifiers to look again at once.
 */
export const REVOCATIONS_TOPIC = 'revocations';

export const revocationKey = (subject: string): string => `tessera:revoked:{${subject}}`;

export const sessionField = (sessionId: string): string => `sid:${sessionId}`;

export const ALL_FIELD = 'all';

/** Is a token of this session, issued at `issuedAtSeconds`, ended by this hash's fields? */
export function isRevoked(fields: Readonly<Record<string, string>>, token: { sessionId?: string | undefined; issuedAt: number }): boolean {
  const all = Number(fields[ALL_FIELD] ?? 0);
  if (all > 0 && token.issuedAt * 1000 <= all) return true;
  return token.sessionId !== undefined && fields[sessionField(token.sessionId)] !== undefined;
}
