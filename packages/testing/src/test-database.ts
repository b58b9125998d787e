import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { ENV } from './env';
import { required } from './shared-infra';

export interface TestDatabase {
  name: string;
  /** URL of the database on the primary. */
  primaryUrl: string;
  /** URL of the same database on the streaming replica. */
  replicaUrl: string;
  /**
   * A login role of its own for this database (as the chart's `<service>_app`):
   * its name and URLs that connect as it. It has no privileges until a
   * migration grants them (DATABASE_RUNTIME_ROLE); dropped with the database.
   */
  runtimeRole(): Promise<{ role: string; primaryUrl: string; replicaUrl: string }>;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function asUser(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
}

/**
 * A new, empty database on the shared primary; it reaches the replica through
 * streaming replication like any other change, and this waits until it has.
 */
export async function testDatabase(prefix = 't'): Promise<TestDatabase> {
  const name = `${prefix.replace(/\W/g, '_').toLowerCase()}_${randomBytes(5).toString('hex')}`;
  const primaryRoot = required(ENV.pgPrimary);
  const replicaRoot = required(ENV.pgReplica);
  const admin = postgres(primaryRoot, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const replicaUrl = withDatabase(replicaRoot, name);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = postgres(replicaUrl, { max: 1, connect_timeout: 2, onnotice: () => undefined });
    try {
      await probe`select 1`;
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 25));
    } finally {
      await probe.end({ timeout: 1 });
    }
  }
  let role: string | undefined;
  return {
    name,
    primaryUrl: withDatabase(primaryRoot, name),
    replicaUrl,
    async runtimeRole() {
      role ??= `${name}_app`;
      const password = randomBytes(12).toString('hex');
      const sql = postgres(primaryRoot, { max: 1, onnotice: () => undefined });
      try {
        await sql.unsafe(`create role "${role}" login password '${password}'`);
      } finally {
        await sql.end();
      }
      return { role, primaryUrl: asUser(withDatabase(primaryRoot, name), role, password), replicaUrl: asUser(replicaUrl, role, password) };
    },
    async drop() {
      const sql = postgres(primaryRoot, { max: 1, onnotice: () => undefined });
      try {
        await sql.unsafe(`drop database if exists "${name}" with (force)`);
        if (role) await sql.unsafe(`drop role if exists "${role}"`);
      } finally {
        await sql.end();
      }
    },
  };
}
