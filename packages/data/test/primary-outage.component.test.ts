import { AppError, Code } from '@tessera/errors';
import { createRegistry } from '@tessera/metrics';
import { parseToken, ShardedDb, ShardMap } from '@tessera/data';
import { startTestShards, until } from '@tessera/testing';

/**
 * A shard's primary stopped under write load, then started again: the
 * process survives (postgres.js 3.4.9 crashed it, patched in
 * patches/postgres+3.4.9.patch), writes fail fast while it is down instead of
 * hanging to their deadline, and work again as soon as it is back.
 */
describe('a primary outage under write load', () => {
  test('when the primary stops for 2 s and comes back, then no crash, no write waits out its 10 s deadline, and writes resume within seconds', async () => {
    const shards = await startTestShards({ count: 1, replicas: 0 });
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    const db = await ShardedDb.connect({ shardMap: ShardMap.single(shards.clusters[0]!.name), clusters: shards.clusters, registry: createRegistry() });
    const cluster = db.clusters[0]!;
    const outcomes: { ok: boolean; ms: number; code?: number }[] = [];
    let running = true;
    try {
      await cluster.write((tx) => tx`create table hits (id serial primary key)`);
      const worker = async () => {
        while (running) {
          const started = Date.now();
          try {
            await cluster.write((tx) => tx`insert into hits default values`, { deadline: Date.now() + 10_000 });
            outcomes.push({ ok: true, ms: Date.now() - started });
          } catch (error) {
            outcomes.push({ ok: false, ms: Date.now() - started, code: error instanceof AppError ? error.code : -1 });
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      };
      const workers = Array.from({ length: 8 }, worker);
      await until('writes to flow', () => outcomes.filter((o) => o.ok).length > 100);
      await shards.servers[0]!.primary.stop();
      await new Promise((r) => setTimeout(r, 2_000));
      await shards.servers[0]!.primary.start();
      const backAt = Date.now();
      const before = outcomes.length;
      await until('a write to succeed after the restart', () => outcomes.slice(before).some((o) => o.ok), 5_000);
      const recoveredIn = Date.now() - backAt;
      running = false;
      await Promise.all(workers);

      expect(uncaught).toEqual([]);
      const failures = outcomes.filter((o) => !o.ok);
      expect(failures.length).toBeGreaterThan(0);
      // Failed fast and retryable: UNAVAILABLE within seconds, never a write left hanging to its deadline.
      expect(failures.filter((f) => f.code !== Code.UNAVAILABLE || f.ms > 4_000)).toEqual([]);
      expect(recoveredIn).toBeLessThan(3_000);
    } finally {
      running = false;
      process.off('uncaughtException', onUncaught);
      await db.end();
      await shards.stop();
    }
  }, 60_000);

  test('when the primary is down, then primary-preferred reads (cache fills) are served by a replica, and primary reads fail fast with UNAVAILABLE', async () => {
    const shards = await startTestShards({ count: 1, replicas: 1 });
    const db = await ShardedDb.connect({ shardMap: ShardMap.single(shards.clusters[0]!.name), clusters: shards.clusters, registry: createRegistry(), pool: { checkIntervalMs: 100 } });
    const cluster = db.clusters[0]!;
    try {
      const { token } = await cluster.write(async (tx) => {
        await tx`create table profiles (id int primary key, name text)`;
        await tx`insert into profiles values (1, 'Ada')`;
      });
      await until('the replica to have the row', async () => (await cluster.read((sql) => sql`select 1 from profiles where id = 1`, { tokens: [parseToken(token)!] })).length === 1);
      await shards.servers[0]!.primary.stop();
      const started = Date.now();
      const { value, servedBy } = await cluster.readWithInfo((sql) => sql<{ name: string }[]>`select name from profiles where id = 1`, { consistency: 'primary-preferred', deadline: Date.now() + 10_000 });
      expect([value, servedBy]).toEqual([[{ name: 'Ada' }], `${cluster.name}-replica-1`]);
      const strict = await cluster.read((sql) => sql`select name from profiles where id = 1`, { consistency: 'primary', deadline: Date.now() + 10_000 }).catch((e: unknown) => e);
      expect((strict as AppError).code).toBe(Code.UNAVAILABLE);
      expect(Date.now() - started).toBeLessThan(6_000);
    } finally {
      await db.end();
      await shards.stop();
    }
  }, 60_000);
});
