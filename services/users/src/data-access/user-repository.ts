import { parseTokens, type ShardedDb } from '@tessera/data';
import type { NewUser, User, UserRepository } from '../domain/user';

interface UserRow {
  id: string;
  email: string;
  display_name: string;
  role: 'user' | 'admin';
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

export function userRepository(db: ShardedDb): UserRepository {
  return {
    shardForEmail: (email) => db.shardMap.shardForKey(email),

    async insert(user: NewUser, deadline: number) {
      const { value, token } = await db.forShard(user.shard).write(async (tx) => {
        // ON CONFLICT on the partial unique index: a taken email is a normal outcome, not an exception.
        const rows = await tx<UserRow[]>`
          insert into users (id, email, display_name, password_hash)
          values (tessera_next_id(${user.shard}), ${user.email}, ${user.displayName}, ${user.passwordHash})
          on conflict (email) where deleted_at is null do nothing
          returning id::text, email, display_name, role, created_at, updated_at`;
        return rows[0] && toUser(rows[0]);
      }, { deadline });
      return { user: value, token };
    },

    async findById(id, { tokens, deadline }) {
      const rows = await db.forUser(id).read(
        (sql) => sql<UserRow[]>`
          select id::text, email, display_name, role, created_at, updated_at
          from users where id = ${id} and deleted_at is null`,
        { tokens: parseTokens(tokens), deadline },
      );
      return rows[0] && toUser(rows[0]);
    },
  };
}
