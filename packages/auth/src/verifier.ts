import { createLocalJWKSet, errors, jwtVerify, type JWTVerifyGetKey, type JSONWebKeySet } from 'jose';
import { LRUCache } from 'lru-cache';
import { AppError } from '@tessera/errors';
import { ACCESS_TOKEN_TYP, ALGORITHM } from './access-tokens';
import type { Role } from './scopes';
import { KID } from './signing-keys';

export interface VerifiedToken {
  sub: string;
  role: Role;
  scopes: string[];
  clientId?: string;
  /** Set on the short-lived tokens the users service signs for an API key's principal: its scopes bind. */
  keyId?: string;
  /** The session a person's token belongs to (absent on client tokens). */
  sessionId?: string;
  /** Seconds since the epoch, as signed. */
  issuedAt: number;
  expiresAt: number;
}

export interface VerifierOptions {
  issuer: string;
  audience: string;
  /** Fetches the current JWKS (from the users service); called again when a token names an unknown kid, and every `jwksRefreshMs`. */
  fetchJwks: () => Promise<JSONWebKeySet>;
  /**
   * The issuer's token lifetime: a token whose `exp − iat`, or whose age, is
   * longer is refused, whatever its `exp` says (a token signed with a leaked
   * or retired key cannot outlive this).
   */
  maxTokenAgeSeconds: number;
  /** How often the JWKS is fetched again, so a retired key stops verifying within this bound (default 60 s). */
  jwksRefreshMs?: number;
  /** Unknown kids trigger at most one refetch per this interval, so forged kids cannot flood the users service. */
  refetchIntervalMs?: number;
  /** Verified tokens remembered (until they expire) to skip signature checks on the hot path. */
  cacheSize?: number;
  clockToleranceSeconds?: number;
}

const REJECT = () => AppError.unauthenticated('invalid or expired access token');

/**
 * Verifies access tokens locally: ES256 only (no `none`, no HMAC, so a public
 * key can never be used as an HMAC secret), `typ` at+jwt, `iss`, `aud`, `exp`,
 * `nbf`, and a lifetime no longer than the issuer's. Keys come from the JWKS,
 * fetched when a token names a kid we do not know yet (a rotation) and every
 * `jwksRefreshMs` in the background; when the key set changes, every cached
 * verification is dropped, so a token of a retired key stops working within
 * that bound. Every failure is the same UNAUTHENTICATED error.
 */
export class AccessTokenVerifier {
  private keys: JWTVerifyGetKey | undefined;
  private knownKids = new Set<string>();
  private lastFetch = 0;
  private fetching: Promise<void> | undefined;
  private readonly verified: LRUCache<string, VerifiedToken>;

  constructor(private readonly options: VerifierOptions) {
    this.verified = new LRUCache({ max: options.cacheSize ?? 10_000 });
  }

  async verify(token: string): Promise<VerifiedToken> {
    if (this.keys && Date.now() - this.lastFetch > (this.options.jwksRefreshMs ?? 60_000)) void this.refresh(true).catch(() => undefined);
    const cached = this.verified.get(token);
    if (cached) {
      if (cached.expiresAt * 1000 > Date.now()) return cached;
      this.verified.delete(token);
    }
    if (token.length > 4096) throw REJECT();
    const kid = headerKid(token);
    if (kid === undefined || !KID.test(kid)) throw REJECT();
    if (!this.knownKids.has(kid)) await this.refresh();
    if (!this.keys || !this.knownKids.has(kid)) throw REJECT();
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        algorithms: [ALGORITHM],
        typ: ACCESS_TOKEN_TYP,
        issuer: this.options.issuer,
        audience: this.options.audience,
        requiredClaims: ['exp', 'iat', 'sub'],
        clockTolerance: this.options.clockToleranceSeconds ?? 5,
        maxTokenAge: this.options.maxTokenAgeSeconds,
      });
      if (payload.exp! - payload.iat! > this.options.maxTokenAgeSeconds) throw REJECT();
      const role = payload.role === 'admin' ? 'admin' : 'user';
      const result: VerifiedToken = {
        sub: payload.sub!,
        role,
        scopes: typeof payload.scope === 'string' && payload.scope ? payload.scope.split(' ') : [],
        ...(typeof payload.client_id === 'string' ? { clientId: payload.client_id } : {}),
        ...(typeof payload.key_id === 'string' ? { keyId: payload.key_id } : {}),
        ...(typeof payload.sid === 'string' ? { sessionId: payload.sid } : {}),
        issuedAt: payload.iat!,
        expiresAt: payload.exp!,
      };
      this.verified.set(token, result);
      return result;
    } catch (error) {
      if (error instanceof errors.JOSEError || error instanceof TypeError || error instanceof AppError) throw REJECT();
      throw error;
    }
  }

  private async refresh(scheduled = false): Promise<void> {
    if (!scheduled && Date.now() - this.lastFetch < (this.options.refetchIntervalMs ?? 5_000) && this.keys) return;
    this.fetching ??= (async () => {
      try {
        const jwks = await this.options.fetchJwks();
        const kids = new Set(jwks.keys.map((k) => k.kid).filter((k): k is string => typeof k === 'string'));
        // A key left (retired, or leaked and pulled): what it verified must be verified again.
        if (this.keys && [...this.knownKids].some((kid) => !kids.has(kid))) this.verified.clear();
        this.keys = createLocalJWKSet(jwks);
        this.knownKids = kids;
      } finally {
        // Failures count too: a users service that is down is asked again after the interval, not on every request.
        this.lastFetch = Date.now();
        this.fetching = undefined;
      }
    })();
    await this.fetching;
  }
}

function headerKid(token: string): string | undefined {
  const [header] = token.split('.');
  if (!header) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof parsed.kid === 'string' ? parsed.kid : undefined;
  } catch {
    return undefined;
  }
}
