import type { Cache } from '@tessera/cache';
import { micros, olderThan, scatterGather, type PageRequest, type ShardedDb } from '@tessera/data';
import type { Role } from '@tessera/auth';
import type { NewUser, User, UserRepository, UserWithPassword } from '../domain/user';

interface UserRow {
  id: string;
  email: string;
  display_name: string;
  role: Role;
  created_at: Date;
  updated_at: Date;
}

const toUser = (row: UserRow): User => ({
  id: row.id,
  email: row.email,
  displayName: row.display_name,
  role: row.role,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export function decodeUser(text: string): User {
  const u = JSON.parse(text) as User & { createdAt: string; updatedAt: string };
  return { ...u, createdAt: new Date(u.createdAt), updatedAt: new Date(u.updatedAt) };
}

const key = (id: string) => `user:${id}`;

/**
 * Users and the email directory on the sharded tier. A user lives on the
 * shard of their registration email's hash; `user_emails` rows live on the
 * shard of each current email's hash. Profiles are read through the cache
 * (filled from the primary, invalidated after every write).
 */
export function userRepository(db: ShardedDb, cache: Cache<User>): UserRepository {
  const shardForEmail = (email: string) => db.shardMap.shardForKey(email);
  const directory = (email: string) => db.forShard(shardForEmail(email));

  const loadUser = (id: string, deadline: number) => async () => {
    const rows = await db.forUser(id).read(
      (sql) => sql<UserRow[]>`select id::text, email, display_name, role, created_at, updated_at from users where id = ${id} and deleted_at is null`,
      { deadline, consistency: 'primary-preferred' },
    );
    return rows[0] && toUser(rows[0]);
  };

  return {
    shardForEmail,

    async insert(user: NewUser, deadline: number) {
      // The user's shard is the email's shard, so the account and its email claim commit together.
      return db.forShard(user.shard).write(async (tx) => {
        const [id] = await tx<{ id: string }[]>`select tessera_next_id(${user.shard})::text as id`;
        const claimed = await tx`insert into user_emails (email, user_id) values (${user.email}, ${id!.id}) on conflict (email) do nothing`;
        if (claimed.count === 0) {
          // Taken, unless the claim is left over from an email change that crashed half way.
          const [holder] = await tx<{ user_id: string }[]>`select user_id::text from user_emails where email = ${user.email} for update`;
          if (holder && (await stillOwns(holder.user_id, user.email, deadline))) return undefined;
          await tx`update user_emails set user_id = ${id!.id} where email = ${user.email}`;
        }
        const rows = await tx<UserRow[]>`
          insert into users (id, email, display_name, password_hash, role)
          values (${id!.id}, ${user.email}, ${user.displayName}, ${user.passwordHash}, ${user.role})
          returning id::text, email, display_name, role, created_at, updated_at`;
        return toUser(rows[0]!);
      }, { deadline });
    },

    async findById(id, { deadline }) {
      return cache.get(key(id), loadUser(id, deadline));
    },

    async findByEmail(email: string, deadline: number): Promise<UserWithPassword | undefined> {
      const claim = await directory(email).read((sql) => sql<{ user_id: string }[]>`select user_id::text from user_emails where email = ${email}`, { deadline, consistency: 'primary' });
      const userId = claim[0]?.user_id;
      if (!userId) return undefined;
      const rows = await db.forUser(userId).read(
        (sql) => sql<(UserRow & { password_hash: string })[]>`
          select id::text, email, display_name, role, created_at, updated_at, password_hash
          from users where id = ${userId} and deleted_at is null and email = ${email}`,
        { deadline, consistency: 'primary' },
      );
      return rows[0] && { ...toUser(rows[0]), passwordHash: rows[0].password_hash };
    },

    async updateDisplayName(id: string, displayName: string, deadline: number) {
      const result = await db.forUser(id).write(async (tx) => {
        const rows = await tx<UserRow[]>`
          update users set display_name = ${displayName}, updated_at = now() where id = ${id} and deleted_at is null
          returning id::text, email, display_name, role, created_at, updated_at`;
        return rows[0] && toUser(rows[0]);
      }, { deadline });
      await cache.invalidate(key(id));
      return result;
    },

    async changeEmail(id: string, email: string, deadline: number) {
      const current = await loadUser(id, deadline)();
      if (!current) return { value: undefined, token: '' };
      if (current.email === email) return { value: current, token: '' };
      // 1. Claim the new email on its shard (unique), 2. move the user, 3. drop the old claim.
      // A crash after 1 leaves a claim whose user still has the old email: login checks the
      // user's own email, and the claim is reclaimed when its user is seen not to match.
      const claimed = await directory(email).write(async (tx) => {
        const taken = await tx<{ user_id: string }[]>`select user_id::text from user_emails where email = ${email} for update`;
        if (taken[0] && taken[0].user_id !== id && (await stillOwns(taken[0].user_id, email, deadline))) return false;
        await tx`insert into user_emails (email, user_id) values (${email}, ${id}) on conflict (email) do update set user_id = excluded.user_id`;
        return true;
      }, { deadline });
      if (!claimed.value) return 'taken' as const;
      const moved = await db.forUser(id).write(async (tx) => {
        const rows = await tx<UserRow[]>`
          update users set email = ${email}, updated_at = now() where id = ${id} and deleted_at is null
          returning id::text, email, display_name, role, created_at, updated_at`;
        return rows[0] && toUser(rows[0]);
      }, { deadline });
      await directory(current.email).write((tx) => tx`delete from user_emails where email = ${current.email} and user_id = ${id}`, { deadline });
      await cache.invalidate(key(id));
      return moved;
    },

    async setRole(id: string, role: Role, deadline: number) {
      await db.forUser(id).write((tx) => tx`update users set role = ${role}, updated_at = now() where id = ${id}`, { deadline });
      await cache.invalidate(key(id));
    },

    async setPasswordHash(id: string, passwordHash: string, deadline: number) {
      await db.forUser(id).write((tx) => tx`update users set password_hash = ${passwordHash}, updated_at = now() where id = ${id} and deleted_at is null`, { deadline, token: false });
      await cache.invalidate(key(id));
    },

    async softDelete(id: string, deadline: number) {
      const result = await db.forUser(id).write(async (tx) => {
        const rows = await tx<{ email: string }[]>`update users set deleted_at = now(), updated_at = now() where id = ${id} and deleted_at is null returning email`;
        if (!rows[0]) return undefined;
        await tx`update refresh_tokens set revoked_at = now() where user_id = ${id} and revoked_at is null`;
        await tx`update api_keys set revoked_at = now() where user_id = ${id} and revoked_at is null`;
        return rows[0].email;
      }, { deadline });
      if (result.value) await directory(result.value).write((tx) => tx`delete from user_emails where email = ${result.value!} and user_id = ${id}`, { deadline });
      await cache.invalidate(key(id));
      return { value: result.value !== undefined, token: result.token };
    },

    async list(page: PageRequest, deadline: number) {
      const result = await scatterGather(
        db.clusters,
        (sql, after, limit) => sql<(UserRow & { micros: string })[]>`
          select id::text, email, display_name, role, created_at, updated_at, ${micros(sql)} as micros
          from users where deleted_at is null and ${olderThan(sql, after)}
          order by created_at desc, id desc limit ${limit}`,
        (row) => ({ createdAtMicros: BigInt(row.micros), id: BigInt(row.id) }),
        { page, read: { deadline } },
      );
      return { users: result.items.map(toUser), nextPageToken: result.nextPageToken };
    },
  };

  async function stillOwns(userId: string, email: string, deadline: number): Promise<boolean> {
    const rows = await db.forUser(userId).read((sql) => sql`select 1 from users where id = ${userId} and email = ${email} and deleted_at is null`, { deadline, consistency: 'primary' });
    return rows.length > 0;
  }
}
