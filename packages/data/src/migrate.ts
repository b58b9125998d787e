import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Sql, TransactionSql } from 'postgres';
import { PLATFORM_SQL } from './platform-sql';

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

const FILE = /^(\d{3,})_[a-z0-9_]+\.sql$/;
// One advisory lock key for migrations in every database; derived from a name so it cannot clash with app locks by accident.
const LOCK_KEY = BigInt.asIntN(64, BigInt(`0x${createHash('sha256').update('tessera:migrations').digest('hex').slice(0, 16)}`));

/**
 * Applies the new `NNN_name.sql` files from `dir` in order, in one
 * transaction (all or nothing), recording them in `schema_migrations`. Safe to run twice and
 * from several processes at once: a transaction advisory lock serializes runners,
 * and an applied file whose checksum changed is an error, not a silent skip.
 */
export async function migrate(sql: Sql, dir: string, platformSql: readonly string[] = [], runtimeRole?: string): Promise<MigrationResult> {
  const files = readdirSync(dir)
    .filter((f) => FILE.test(f))
    .sort();
  const result: MigrationResult = { applied: [], skipped: [] };
  await sql.begin(async (tx) => {
    // Transaction-scoped lock: released however this ends, even if the process dies.
    await tx`select pg_advisory_xact_lock(${LOCK_KEY.toString()}::bigint)`;
    await tx`
      create table if not exists schema_migrations (
        name text primary key,
        checksum text not null,
        applied_at timestamptz not null default now()
      )`;
    // Platform objects (the id generator) are idempotent and kept current on every run.
    for (const statement of [PLATFORM_SQL, ...platformSql]) await tx.unsafe(statement);
    const applied = new Map((await tx<{ name: string; checksum: string }[]>`select name, checksum from schema_migrations`).map((r) => [r.name, r.checksum]));
    for (const file of files) {
      const body = readFileSync(path.join(dir, file), 'utf8');
      const checksum = createHash('sha256').update(body).digest('hex');
      const previous = applied.get(file);
      if (previous !== undefined) {
        if (previous !== checksum) throw new Error(`migration ${file} changed after it was applied; add a new migration instead`);
        result.skipped.push(file);
        continue;
      }
      await tx.unsafe(body);
      await tx`insert into schema_migrations (name, checksum) values (${file}, ${checksum})`;
      result.applied.push(file);
    }
    if (runtimeRole) await grantRuntime(tx, runtimeRole);
  });
  return result;
}

/**
 * Least privilege for the role the service runs as (the owner ran the
 * migrations): data, not schema. It may read and write rows and use
 * sequences, never alter, drop, truncate or disable a trigger (only an owner
 * can), nor touch the migration history; a service narrows it further by
 * defining `tessera_restrict_runtime(role name)` in its migrations.
 */
async function grantRuntime(tx: TransactionSql, role: string): Promise<void> {
  const r = tx(role);
  const schemas = await tx<{ name: string }[]>`
    select nspname as name from pg_namespace
    where nspname = 'public' or (nspowner = current_user::regrole and nspname not like 'pg\\_%' and nspname <> 'information_schema')`;
  for (const { name } of schemas) {
    const s = tx(name);
    await tx`grant usage on schema ${s} to ${r}`;
    await tx`grant select, insert, update, delete on all tables in schema ${s} to ${r}`;
    await tx`grant usage, select on all sequences in schema ${s} to ${r}`;
  }
  await tx`revoke insert, update, delete on schema_migrations from ${r}`;
  const [restrict] = await tx<{ exists: boolean }[]>`select to_regprocedure('tessera_restrict_runtime(name)') is not null as exists`;
  if (restrict?.exists) await tx`select tessera_restrict_runtime(${role}::name)`;
}
