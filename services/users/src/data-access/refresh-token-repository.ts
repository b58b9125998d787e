import { hashSecret, mintSecret, parseSecret, sameHash } from '@tessera/auth';
import { shardOfId, type ShardedDb } from '@tessera/data';
import type { RefreshOutcome, RefreshTokenRepository } from '../domain/sessions';

const PREFIX = 'trt';

/**
 * Refresh tokens on the user's shard, found by the token id embedded in the
 * token (`trt_<id>_<secret><checksum>`) and checked against the stored SHA-256.
 * Rotation locks the row, so two concurrent uses of one token are serialized.
 * A spent token presented again within `reuseGraceMs` of its rotation (two
 * tabs refreshing at once, a retried request whose answer was lost) gets a
 * sibling successor, as Okta's and Auth0's grace periods do; later, it is
 * reuse by someone holding a copy, and the whole family is revoked.
 */
export function refreshTokenRepository(db: ShardedDb, ttlSeconds: number, reuseGraceMs = 10_000): RefreshTokenRepository {
  async function insert(tx: Parameters<Parameters<ReturnType<ShardedDb['forUser']>['write']>[0]>[0], userId: string, familyId: string | undefined): Promise<{ refreshToken: string; familyId: string }> {
    const [row] = await tx<{ id: string }[]>`select tessera_next_id(${shardOfId(userId)})::text as id`;
    const secret = mintSecret(PREFIX, row!.id);
    await tx`
      insert into refresh_tokens (id, user_id, family_id, token_hash, expires_at)
      values (${row!.id}, ${userId}, ${familyId ?? row!.id}, ${hashSecret(secret)}, now() + make_interval(secs => ${ttlSeconds}))`;
    return { refreshToken: secret, familyId: familyId ?? row!.id };
  }

  return {
    async create(userId, deadline) {
      return (await db.forUser(userId).write((tx) => insert(tx, userId, undefined), { deadline })).value;
    },

    async rotate(refreshToken, deadline): Promise<RefreshOutcome> {
      const parsed = parseSecret(PREFIX, refreshToken);
      if (!parsed) return { kind: 'invalid' };
      const { value } = await db.forUser(parsed.id).write(async (tx): Promise<RefreshOutcome> => {
        const [row] = await tx<{ user_id: string; family_id: string; token_hash: Buffer; expired: boolean; rotated: boolean; in_grace: boolean; revoked: boolean }[]>`
          select user_id::text, family_id::text, token_hash, expires_at <= now() as expired, rotated_at is not null as rotated,
                 coalesce(rotated_at > now() - make_interval(secs => ${reuseGraceMs / 1000}), false) as in_grace, revoked_at is not null as revoked
          from refresh_tokens where id = ${parsed.id} for update`;
        if (!row || !sameHash(row.token_hash, hashSecret(refreshToken))) return { kind: 'invalid' };
        if (row.rotated && row.in_grace && !row.revoked && !row.expired) {
          return { kind: 'rotated', userId: row.user_id, ...(await insert(tx, row.user_id, row.family_id)) };
        }
        if (row.rotated) {
          // A spent token came back: someone holds a copy. End the whole session family.
          await tx`update refresh_tokens set revoked_at = now() where family_id = ${row.family_id} and revoked_at is null`;
          return { kind: 'reused', userId: row.user_id, familyId: row.family_id };
        }
        if (row.revoked || row.expired) return { kind: 'invalid' };
        await tx`update refresh_tokens set rotated_at = now() where id = ${parsed.id}`;
        return { kind: 'rotated', userId: row.user_id, ...(await insert(tx, row.user_id, row.family_id)) };
      }, { deadline });
      return value;
    },

    async revokeFamily(refreshToken, deadline) {
      const parsed = parseSecret(PREFIX, refreshToken);
      if (!parsed) return undefined;
      const { value } = await db.forUser(parsed.id).write(async (tx) => {
        const [row] = await tx<{ user_id: string; family_id: string; token_hash: Buffer }[]>`select user_id::text, family_id::text, token_hash from refresh_tokens where id = ${parsed.id}`;
        if (!row || !sameHash(row.token_hash, hashSecret(refreshToken))) return undefined;
        await tx`update refresh_tokens set revoked_at = now() where family_id = ${row.family_id} and revoked_at is null`;
        return { userId: row.user_id, familyId: row.family_id };
      }, { deadline, token: false });
      return value;
    },

    async revokeAllOf(userId, deadline) {
      const { value } = await db.forUser(userId).write(
        (tx) => tx<{ family_id: string }[]>`update refresh_tokens set revoked_at = now() where user_id = ${userId} and revoked_at is null and expires_at > now() returning family_id::text`,
        { deadline, token: false },
      );
      return [...new Set(value.map((r) => r.family_id))];
    },
  };
}
