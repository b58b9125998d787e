import { AppError, Code } from '@tessera/errors';
import { createRegistry, type Registry } from '@tessera/metrics';
import { ShardedDb, ShardMap, type ClusterDb } from '@tessera/data';
import { metricSum, startTestShards, type TestShards, until } from '@tessera/testing';


describe('replica and primary faults', () => {
  let shards: TestShards;
  let db: ShardedDb;
  let cluster: ClusterDb;
  let registry: Registry;
  const read = () => cluster.readWithInfo((sql) => sql<{ n: number }[]>`select count(*)::int as n from items`, { deadline: Date.now() + 2_000 });

  beforeAll(async () => {
    shards = await startTestShards({ count: 1 });
    registry = createRegistry();
    db = await ShardedDb.connect({ shardMap: ShardMap.single('shard-a'), clusters: shards.clusters, registry, pool: { replicaTimeoutMs: 200, checkIntervalMs: 100, checkTimeoutMs: 200, connectTimeoutS: 1 } });
    cluster = db.cluster('shard-a');
    await cluster.write((tx) => tx`create table items (id serial primary key)`);
    await until('replica serves reads', async () => (await read()).servedBy === 'shard-a-replica-1');
  });

  afterAll(async () => {
    shards.servers[0]!.replicas[0]!.resume();
    await db.end();
    await shards.stop();
  });

  test('when the replica is paused (SIGSTOP), then reads keep succeeding within the deadline from the primary, and the replica is used again after SIGCONT', async () => {
    const replica = shards.servers[0]!.replicas[0]!;
    const before = await metricSum(registry, 'db_replica_fallbacks_total');
    replica.pause();
    try {
      for (let i = 0; i < 20; i++) {
        const started = Date.now();
        const result = await read();
        expect(result.servedBy).toBe('primary');
        expect(Date.now() - started).toBeLessThan(1_000);
      }
      expect((await metricSum(registry, 'db_replica_fallbacks_total')) - before).toBe(20);
    } finally {
      replica.resume();
    }
    await until('replica serves reads again', async () => (await read()).servedBy === 'shard-a-replica-1');
  });

  test('when the replica is stopped, then reads go to the primary; when it is started again, it serves them again', async () => {
    const replica = shards.servers[0]!.replicas[0]!;
    const before = await metricSum(registry, 'db_replica_fallbacks_total');
    await replica.stop();
    for (let i = 0; i < 20; i++) {
      const started = Date.now();
      expect((await read()).servedBy).toBe('primary');
      expect(Date.now() - started).toBeLessThan(1_000);
    }
    expect((await metricSum(registry, 'db_replica_fallbacks_total')) - before).toBe(20);
    await replica.start();
    await until('replica serves reads again', async () => (await read()).servedBy === 'shard-a-replica-1');
  });

  test('when the primary is stopped, then a write fails with UNAVAILABLE within the deadline and reads still come from the replica', async () => {
    const primary = shards.servers[0]!.primary;
    await primary.stop();
    try {
      const started = Date.now();
      const error = await cluster.write((tx) => tx`insert into items default values`, { deadline: Date.now() + 2_000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe(Code.UNAVAILABLE);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect((await read()).servedBy).toBe('shard-a-replica-1');
    } finally {
      await primary.start();
    }
    await expect(cluster.write((tx) => tx`insert into items default values`)).resolves.toHaveProperty('token');
  });

  test('when the primary is paused, then a write gives up by its deadline with an unknown-outcome error instead of hanging', async () => {
    const primary = shards.servers[0]!.primary;
    primary.pause();
    try {
      const started = Date.now();
      const error = await cluster.write((tx) => tx`insert into items default values`, { deadline: Date.now() + 500 }).catch((e: unknown) => e);
      expect((error as AppError).code).toBe(Code.DEADLINE_EXCEEDED);
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      primary.resume();
    }
  });
});
