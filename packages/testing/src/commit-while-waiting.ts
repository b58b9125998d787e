import type postgres from 'postgres';
import { until } from './wait';

/**
 * Makes a READ COMMITTED race deterministic: runs `change` in a transaction on `sql`, starts `write` (through any
 * other connection, e.g. a service) once that transaction holds its row locks, and commits only after a session of
 * this database is seen waiting for a lock, so `write` is the one waiting. Answers what `write` answers.
 */
export async function commitWhileWaiting<T>(sql: postgres.Sql, change: (tx: postgres.TransactionSql) => Promise<unknown>, write: () => Promise<T>): Promise<T> {
  let changed!: () => void;
  let commit!: () => void;
  const ready = new Promise<void>((resolve) => (changed = resolve));
  const gate = new Promise<void>((resolve) => (commit = resolve));
  const held = sql.begin(async (tx) => {
    await change(tx);
    changed();
    await gate;
  });
  await Promise.race([ready, held]);
  const result = write();
  result.catch(() => undefined); // awaited below; not an unhandled rejection while the transaction commits
  try {
    await until('the write to wait for a lock', async () => (await sql`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`).length > 0);
  } finally {
    commit();
    await held;
  }
  return result;
}
