import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { ServiceError } from '@grpc/grpc-js';
import { AccessTokenVerifier } from '@tessera/auth';
import { users } from '@tessera/contracts';
import { GrpcStatus } from '@tessera/grpc-kit';
import type { Clients } from '../clients';
import { problem } from '../errors/problem';
import type { Principal } from './principal';

const INVALID = () => problem(401, 'invalid or expired credentials', [], { 'WWW-Authenticate': 'Bearer error="invalid_token"' });

/**
 * Turns request credentials into a principal. JWTs are verified locally
 * (JWKS from the users service, refreshed on an unknown kid; results cached
 * per token); API keys (`Authorization: Bearer tsk_…` or `X-API-Key`) are
 * checked by the users service, cached for a short TTL by the key's hash, so
 * a revoked key stops working within that TTL.
 */
export class Authenticator {
  private readonly verifier: AccessTokenVerifier;
  private readonly keyCache: LRUCache<string, Principal | 'invalid'>;

  constructor(private readonly clients: Clients, options: { issuer: string; audience: string; apiKeyCacheMs?: number }) {
    this.verifier = new AccessTokenVerifier({
      issuer: options.issuer,
      audience: options.audience,
      fetchJwks: async () => ({ keys: (await clients.auth.getJwks({})).keys.map((k) => ({ ...k })) }),
    });
    this.keyCache = new LRUCache({ max: 10_000, ttl: options.apiKeyCacheMs ?? 10_000 });
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
    if (token.clientId) return { kind: 'client', clientId: token.clientId, role: 'user', scopes: token.scopes, key: `client:${token.clientId}` };
    if (!token.sub.startsWith('usr_')) throw INVALID();
    return { kind: 'user', userId: token.sub, role: token.role, scopes: null, key: `user:${token.sub}` };
  }

  private async apiKey(key: string): Promise<Principal> {
    if (key.length > 200) throw INVALID();
    const cacheKey = createHash('sha256').update(key).digest('hex');
    let principal = this.keyCache.get(cacheKey);
    if (!principal) {
      try {
        const res = await this.clients.apiKeys.verifyApiKey({ key });
        principal = { kind: 'api_key', userId: res.userId, role: res.role === users.Role.ROLE_ADMIN ? 'admin' : 'user', scopes: res.scopes, key: `key:${res.keyId}` };
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
