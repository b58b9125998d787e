import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { ServiceError } from '@grpc/grpc-js';
import { AccessTokenVerifier, parseSecret } from '@tessera/auth';
import { users } from '@tessera/contracts';
import { GrpcStatus } from '@tessera/grpc-kit';
import type { Clients } from '../clients';
import { problem } from '../errors/problem';
import type { Principal } from './principal';
import type { RevocationList } from './revocation-list';

const INVALID = () => problem(401, 'invalid or expired credentials', [], { 'WWW-Authenticate': 'Bearer error="invalid_token"' });

/**
 * Turns request credentials into a principal. JWTs are verified locally
 * (JWKS from the users service, refreshed on an unknown kid and every
 * `jwksRefreshMs`; results cached per token) and checked against the ended
 * sessions (RevocationList); API keys (`Authorization: Bearer tsk_…` or
 * `X-API-Key`) are checked by the users service, cached for a short TTL by
 * the key's hash, so a revoked key stops working within that TTL. A key that
 * is not well formed (its checksum fails) is refused without a lookup.
 */
export class Authenticator {
  private readonly verifier: AccessTokenVerifier;
  private readonly keyCache: LRUCache<string, Principal | 'invalid'>;

  private readonly revocations: RevocationList | undefined;

  constructor(
    private readonly clients: Clients,
    options: { issuer: string; audience: string; maxTokenAgeSeconds: number; jwksRefreshMs?: number; apiKeyCacheMs?: number; revocations?: RevocationList | undefined },
  ) {
    this.revocations = options.revocations;
    this.verifier = new AccessTokenVerifier({
      issuer: options.issuer,
      audience: options.audience,
      maxTokenAgeSeconds: options.maxTokenAgeSeconds,
      ...(options.jwksRefreshMs ? { jwksRefreshMs: options.jwksRefreshMs } : {}),
      fetchJwks: async () => ({ keys: (await clients.auth.getJwks({})).keys.map((k) => ({ ...k })) }),
    });
    // The answer carries a two-minute principal token: it is kept for well under that.
    this.keyCache = new LRUCache({ max: 10_000, ttl: Math.min(options.apiKeyCacheMs ?? 10_000, 60_000) });
  }

  /** Undefined when the request carries no credentials; a 401 problem when it carries bad ones. */
  async authenticate(authorization: string | undefined, apiKeyHeader: string | undefined): Promise<Principal | undefined> {
    let bearer: string | undefined;
    if (authorization !== undefined) {
      const match = /^Bearer[ ]+([\x21-\x7e]+)$/i.exec(authorization.trim());
      if (!match) throw INVALID();
      bearer = match[1]!;
    }
    const apiKey = apiKeyHeader ?? (bearer?.startsWith('tsk_') ? bearer : undefined);
    if (apiKey) return this.apiKey(apiKey);
    if (!bearer) return undefined;
    const token = await this.verifier.verify(bearer).catch(() => {
      throw INVALID();
    });
    if (await this.revocations?.isRevoked(token.sub, token)) throw INVALID();
    if (token.clientId) return { kind: 'client', clientId: token.clientId, role: 'user', scopes: token.scopes, key: `client:${token.clientId}`, bearer };
    if (!token.sub.startsWith('usr_')) throw INVALID();
    // A key's principal token is for the services, never a credential a client may present here.
    if (token.keyId) throw INVALID();
    return { kind: 'user', userId: token.sub, role: token.role, scopes: null, key: `user:${token.sub}`, bearer };
  }

  private async apiKey(key: string): Promise<Principal> {
    if (key.length > 200) throw INVALID();
    const cacheKey = createHash('sha256').update(key).digest('hex');
    let principal = this.keyCache.get(cacheKey);
    // The checksum is checked offline before a lookup, not on every request (a cached key already passed it).
    if (!principal && !parseSecret('tsk', key)) principal = 'invalid';
    if (!principal) {
      try {
        const res = await this.clients.apiKeys.verifyApiKey({ key });
        principal = { kind: 'api_key', userId: res.userId, role: res.role === users.Role.ROLE_ADMIN ? 'admin' : 'user', scopes: res.scopes, key: `key:${res.keyId}`, bearer: res.principalToken };
      } catch (error) {
        if ((error as ServiceError).code !== GrpcStatus.UNAUTHENTICATED) throw error;
        principal = 'invalid';
      }
      this.keyCache.set(cacheKey, principal);
    }
    if (principal === 'invalid') throw INVALID();
    return principal;
  }
}
