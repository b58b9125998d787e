import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Sql } from 'postgres';
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
export async function migrate(sql: Sql, dir: string, platformSql: readonly string[] = []): Promise<MigrationResult> {
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
  });
  return result;
}
