import { createHash } from 'node:crypto';
import type { ShardedDb } from '@tessera/data';
import type { LoginThrottle } from '../domain/sessions';

const emailHash = (email: string) => createHash('sha256').update(email).digest();

/**
 * Failed logins per account on the email's shard. Each failure past the free
 * ones doubles the wait (`baseMs`·2^(n−free), capped at `maxMs`); a success
 * clears the row. Rows untouched for a day are dropped as failures come in.
 */
export function loginThrottleRepository(db: ShardedDb, policy: { freeFailures: number; baseMs: number; maxMs: number }): LoginThrottle {
  const shard = (email: string) => db.forShard(db.shardMap.shardForKey(email));
  return {
    async check(email, deadline) {
      const [row] = await shard(email).read(
        (sql) => sql<{ failures: number; wait_ms: number }[]>`
          select failures, greatest(0, ceil(extract(epoch from locked_until - now()) * 1000))::float8 as wait_ms
          from login_throttle where email_hash = ${emailHash(email)}`,
        { deadline, consistency: 'primary' },
      );
      return { failures: row?.failures ?? 0, retryAfterMs: row?.wait_ms ?? 0 };
    },
    async failed(email, deadline) {
      await shard(email).write(async (sql) => {
        await sql`
          insert into login_throttle as t (email_hash, failures, locked_until) values (${emailHash(email)}, 1, now())
          on conflict (email_hash) do update set
            failures = t.failures + 1,
            locked_until = case when t.failures + 1 > ${policy.freeFailures}
              then now() + make_interval(secs => least(${policy.maxMs}::float8, ${policy.baseMs}::float8 * power(2, t.failures + 1 - ${policy.freeFailures} - 1)) / 1000)
              else now() end,
            updated_at = now()`;
        await sql`delete from login_throttle where updated_at < now() - interval '1 day' and email_hash <> ${emailHash(email)}`;
      }, { deadline, token: false });
    },
    async succeeded(email, deadline) {
      await shard(email).write((sql) => sql`delete from login_throttle where email_hash = ${emailHash(email)}`, { deadline, token: false });
    },
  };
}
