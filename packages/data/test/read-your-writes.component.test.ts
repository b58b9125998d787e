import { createRegistry, type Registry } from '@tessera/metrics';
import { parseToken, ShardedDb, ShardMap, type ClusterDb } from '@tessera/data';
import postgres from 'postgres';
import { startTestShards, type TestShards, metricSum, until } from '@tessera/testing';


describe('read-your-writes against a replica that applies WAL 1 s late', () => {
  let shards: TestShards;
  let db: ShardedDb;
  let cluster: ClusterDb;
  let registry: Registry;

  beforeAll(async () => {
    shards = await startTestShards({ count: 1, replicaDelayMs: 1_000 });
    registry = createRegistry();
    // A generous lag bound, so the delayed replica stays in rotation and only the token decides.
    db = await ShardedDb.connect({ shardMap: ShardMap.single('shard-a'), clusters: shards.clusters, registry, pool: { maxLagSeconds: 30, checkIntervalMs: 100 } });
    cluster = db.cluster('shard-a');
    const { token } = await cluster.write((tx) => tx`create table notes (id serial primary key, body text not null)`);
    await replicaHasReplayed(token);
  });

  /** Waits until the replica itself reports having replayed past the token's LSN. */
  async function replicaHasReplayed(token: string): Promise<void> {
    const replica = postgres(shards.clusters[0]!.replicas[0]!, { max: 1, onnotice: () => undefined });
    try {
      const lsn = token.split('.').pop()!;
      await until('the replica to replay the write', async () => (await replica<{ ok: boolean }[]>`select pg_last_wal_replay_lsn() >= ${lsn}::pg_lsn as ok`)[0]!.ok);
    } finally {
      await replica.end();
    }
  }

  afterAll(async () => {
    await db.end();
    await shards.stop();
  });

  test('when a migration added a table the replica has not replayed yet, then reads of it are served by the primary, not failed', async () => {
    await cluster.write((tx) => tx`create table fresh_after_migration (id int primary key)`);
    await cluster.write((tx) => tx`insert into fresh_after_migration values (1)`);
    const before = await metricSum(registry, 'db_replica_fallbacks_total', { reason: 'replica_schema_behind' });
    const { value, servedBy } = await cluster.readWithInfo((sql) => sql<{ id: number }[]>`select id from fresh_after_migration`);
    expect(value).toEqual([{ id: 1 }]);
    expect(servedBy).toBe('primary');
    expect(await metricSum(registry, 'db_replica_fallbacks_total', { reason: 'replica_schema_behind' })).toBe(before + 1);
  });

  test('when a row is read right after its write without the token, then the replica can miss it', async () => {
    let misses = 0;
    for (let i = 0; i < 10; i++) {
      const { value: id } = await cluster.write(async (tx) => (await tx<{ id: number }[]>`insert into notes (body) values ('untokened') returning id`)[0]!.id);
      const { value: rows, servedBy } = await cluster.readWithInfo((sql) => sql`select body from notes where id = ${id}`);
      if (rows.length === 0) {
        misses++;
        expect(servedBy).toBe('shard-a-replica-1');
      }
    }
    expect(misses).toBeGreaterThan(0);
  });

  test('when 50 reads each carry their write\'s token, then every one returns the written row', async () => {
    const fallbacksBefore = await metricSum(registry, 'db_replica_fallbacks_total', { cluster: 'shard-a', reason: 'replica_behind' });
    for (let i = 0; i < 50; i++) {
      const { value: id, token } = await cluster.write(async (tx) => (await tx<{ id: number }[]>`insert into notes (body) values (${`note ${i}`}) returning id`)[0]!.id);
      const rows = await cluster.read((sql) => sql`select body from notes where id = ${id}`, { tokens: [parseToken(token)!] });
      expect(rows).toEqual([{ body: `note ${i}` }]);
    }
    // The replica was behind every time, so the primary served them, and the metric says so.
    expect((await metricSum(registry, 'db_replica_fallbacks_total', { cluster: 'shard-a', reason: 'replica_behind' })) - fallbacksBefore).toBe(50);
  });

  test('when the replica has caught up with the token, then the replica serves the read', async () => {
    const { value: id, token } = await cluster.write(async (tx) => (await tx<{ id: number }[]>`insert into notes (body) values ('later') returning id`)[0]!.id);
    await replicaHasReplayed(token);
    const { value: rows, servedBy } = await cluster.readWithInfo((sql) => sql`select body from notes where id = ${id}`, { tokens: [parseToken(token)!] });
    expect(rows).toEqual([{ body: 'later' }]);
    expect(servedBy).toBe('shard-a-replica-1');
  });

  test('when reads and writes have run, then the metrics show latency per role, pool usage and the replica lag', async () => {
    await cluster.write((tx) => tx`insert into notes (body) values ('lag')`);
    // The lag is sampled by the health check (every 100 ms here): wait for a sample that sees the delayed replica.
    await until('the replica lag to be measured', async () => (await metricSum(registry, 'db_replica_lag_seconds', { cluster: 'shard-a', replica: 'shard-a-replica-1' })) > 0.2);
    const text = await registry.metrics();
    expect(text).toMatch(/db_query_duration_seconds_count\{cluster="shard-a",role="primary",kind="write"\} [1-9]/);
    expect(text).toMatch(/db_query_duration_seconds_count\{cluster="shard-a",role="replica",kind="read"\} [1-9]/);
    expect(text).toMatch(/db_pool_max\{cluster="shard-a",role="replica"\} 10/);
    expect(text).toMatch(/db_pool_in_use\{cluster="shard-a",role="primary"\} 0/);
  });

  test('when a token names another cluster or is malformed, then it does not break the read', async () => {
    expect(parseToken('garbage')).toBeUndefined();
    const rows = await cluster.read((sql) => sql`select count(*)::int as n from notes`, { tokens: [{ cluster: 'shard-z', lsn: 1n << 60n }] });
    expect(rows[0]!.n).toBeGreaterThan(0);
  });
});
