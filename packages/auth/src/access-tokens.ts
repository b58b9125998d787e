import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Role } from './scopes';
import type { SigningKey } from './signing-keys';

/** RFC 9068's media type for JWT access tokens; refresh or ID tokens never carry it. */
export const ACCESS_TOKEN_TYP = 'at+jwt';
export const ALGORITHM = 'ES256';

export interface AccessTokenClaims {
  /** "usr_…" for people, "cli_…" for OAuth clients. */
  sub: string;
  role: Role;
  /** Space-separated scopes; empty for a person's own session (their role decides). */
  scope: string;
  /** Set for client-credentials tokens. */
  client_id?: string;
  /** Set on tokens standing for an API key (its principal, signed for the services the edge calls). */
  key_id?: string;
  /** The session (refresh-token family) a person's token belongs to: logging out ends it. */
  sid?: string;
}

export interface TokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export async function issueAccessToken(key: SigningKey, settings: TokenSettings, claims: AccessTokenClaims, now = Date.now()): Promise<string> {
  const iat = Math.floor(now / 1000);
  return new SignJWT({ role: claims.role, scope: claims.scope, ...(claims.client_id ? { client_id: claims.client_id } : {}), ...(claims.key_id ? { key_id: claims.key_id } : {}), ...(claims.sid ? { sid: claims.sid } : {}) })
    .setProtectedHeader({ alg: ALGORITHM, kid: key.kid, typ: ACCESS_TOKEN_TYP })
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setSubject(claims.sub)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + settings.ttlSeconds)
    .setJti(randomUUID())
    .sign(key.privateKey);
}
