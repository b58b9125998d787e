import type { Sql } from 'postgres';
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

export function userRepository(sql: Sql): UserRepository {
  return {
    async insert(user: NewUser) {
      // ON CONFLICT on the partial unique index: a taken email is a normal outcome, not an exception.
      const rows = await sql<UserRow[]>`
        insert into users (email, display_name, password_hash)
        values (${user.email}, ${user.displayName}, ${user.passwordHash})
        on conflict (email) where deleted_at is null do nothing
        returning id, email, display_name, role, created_at, updated_at`;
      return rows[0] && toUser(rows[0]);
    },
    async findById(id: string) {
      const rows = await sql<UserRow[]>`
        select id, email, display_name, role, created_at, updated_at
        from users where id = ${id} and deleted_at is null`;
      return rows[0] && toUser(rows[0]);
    },
  };
}
