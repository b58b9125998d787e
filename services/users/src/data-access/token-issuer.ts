import { issueAccessToken, type SigningKey, type TokenSettings } from '@tessera/auth';
import type { AccessTokenIssuer } from '../domain/sessions';

/** Signs with the first (current) key; the others stay published in the JWKS for tokens they signed. */
export function tokenIssuer(keys: readonly SigningKey[], settings: TokenSettings): AccessTokenIssuer {
  const current = keys[0];
  if (!current) throw new Error('at least one signing key is required');
  return {
    ttlSeconds: settings.ttlSeconds,
    issue: (claims, ttlSeconds) =>
      issueAccessToken(
        current,
        { ...settings, ttlSeconds: Math.min(ttlSeconds ?? settings.ttlSeconds, settings.ttlSeconds) },
        { sub: claims.sub, role: claims.role, scope: claims.scope, ...(claims.clientId ? { client_id: claims.clientId } : {}), ...(claims.sessionId ? { sid: claims.sessionId } : {}), ...(claims.keyId ? { key_id: claims.keyId } : {}) },
      ),
  };
}
