import type { Cache } from '@tessera/cache';
import { hashSecret, mintSecret, parseSecret, sameHash, type Role } from '@tessera/auth';
import { shardOfId, type ShardedDb } from '@tessera/data';
import type { ApiKey, ApiKeyPrincipal, ApiKeyRepository } from '../domain/api-keys';

const PREFIX = 'tsk';

interface KeyRow {
  id: string;
  user_id: string;
  name: string;
  scopes: string[];
  prefix: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const toKey = (row: KeyRow): ApiKey => ({
  id: row.id,
  userId: row.user_id,
  name: row.name,
  scopes: row.scopes,
  prefix: row.prefix,
  createdAt: row.created_at,
  expiresAt: row.expires_at ?? undefined,
  revokedAt: row.revoked_at ?? undefined,
});

/** Cached lookups carry the key's expiry, so a cached key still stops working on time. */
interface CachedPrincipal extends ApiKeyPrincipal {
  expiresAtMs: number | null;
}

/**
 * API keys on their owner's shard. A key is `tsk_<key id>_<secret><checksum>`;
 * only its SHA-256 is stored, compared in constant time. Verification goes
 * through the cache, keyed by the key's hash (never the key); revocation
 * invalidates that entry after commit, so it takes effect at once wherever the
 * cache is shared, and within the TTL anywhere else.
 */
export function apiKeyRepository(db: ShardedDb, cache: Cache<CachedPrincipal>): ApiKeyRepository {
  const cacheKey = (hash: Buffer) => `apikey:${hash.toString('hex')}`;

  return {
    async create({ userId, name, scopes, expiresAt }, deadline) {
      const { value } = await db.forUser(userId).write(async (tx) => {
        const [row] = await tx<{ id: string }[]>`select tessera_next_id(${shardOfId(userId)})::text as id`;
        const secret = mintSecret(PREFIX, row!.id);
        const rows = await tx<KeyRow[]>`
          insert into api_keys (id, user_id, name, scopes, prefix, key_hash, expires_at)
          values (${row!.id}, ${userId}, ${name}, ${tx.array(scopes)}, ${secret.slice(0, PREFIX.length + 1 + row!.id.length + 5)}, ${hashSecret(secret)}, ${expiresAt ?? null})
          returning id::text, user_id::text, name, scopes, prefix, created_at, expires_at, revoked_at`;
        return { key: toKey(rows[0]!), secret };
      }, { deadline });
      return value;
    },

    async listForUser(userId, deadline) {
      const rows = await db.forUser(userId).read(
        (sql) => sql<KeyRow[]>`select id::text, user_id::text, name, scopes, prefix, created_at, expires_at, revoked_at from api_keys where user_id = ${userId} order by created_at desc, id desc`,
        { deadline },
      );
      return rows.map(toKey);
    },

    async revoke(userId, keyId, deadline) {
      if (shardOfId(keyId) !== shardOfId(userId)) return false;
      const { value } = await db.forUser(userId).write(
        (tx) => tx<{ key_hash: Buffer }[]>`update api_keys set revoked_at = now() where id = ${keyId} and user_id = ${userId} and revoked_at is null returning key_hash`,
        { deadline },
      );
      if (value[0]) await cache.invalidate(cacheKey(value[0].key_hash));
      return value.length > 0;
    },

    async verify(secret, deadline) {
      const parsed = parseSecret(PREFIX, secret);
      if (!parsed) return undefined;
      const hash = hashSecret(secret);
      const principal = await cache.get(cacheKey(hash), async () => {
        const rows = await db.forUser(parsed.id).read(
          (sql) => sql<{ key_hash: Buffer; user_id: string; scopes: string[]; role: Role; expires_at: Date | null }[]>`
            select k.key_hash, k.user_id::text, k.scopes, u.role, k.expires_at
            from api_keys k join users u on u.id = k.user_id
            where k.id = ${parsed.id} and k.revoked_at is null and u.deleted_at is null`,
          { deadline, consistency: 'primary' },
        );
        const row = rows[0];
        if (!row || !sameHash(row.key_hash, hash)) return undefined;
        return { userId: row.user_id, keyId: parsed.id, scopes: row.scopes, role: row.role, expiresAtMs: row.expires_at?.getTime() ?? null };
      });
      if (!principal || (principal.expiresAtMs !== null && principal.expiresAtMs <= Date.now())) return undefined;
      const { expiresAtMs: _e, ...rest } = principal;
      return rest;
    },
  };
}

export type { CachedPrincipal };
