import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ShardedDb, ShardMap, type ClusterDb } from '@tessera/data';
import { createLogger } from '@tessera/logging';
import { createRegistry, type Registry } from '@tessera/metrics';
import { enqueueEvent, OUTBOX_SQL, OutboxRelay, type OutboxEvent } from '@tessera/outbox';
import { startTestShards, testDatabase, type TestDatabase, metricSum, until } from '@tessera/testing';



describe('outbox relay', () => {
  let db: TestDatabase;
  let sharded: ShardedDb;
  let cluster: ClusterDb;
  const logger = createLogger({ service: 'test', level: 'silent' });

  beforeAll(async () => {
    db = await testDatabase('outbox');
    sharded = await ShardedDb.connect({ shardMap: ShardMap.single('main'), clusters: [{ name: 'main', primary: db.primaryUrl, replicas: [] }], registry: createRegistry() });
    await sharded.migrateAll(mkdtempSync(path.join(tmpdir(), 'no-migrations-')), [OUTBOX_SQL]);
    cluster = sharded.cluster('main');
  });

  afterAll(async () => {
    await sharded.end();
    await db.drop();
  });

  const enqueue = (aggregateId: string, type: string) => cluster.write((tx) => enqueueEvent(tx, { type, aggregateId, userId: 'usr_1', shard: 1, payload: { n: type } }));

  test('when two relays run, one leads; a failing event holds back its aggregate only, is retried with backoff, and order per aggregate holds; the other relay takes over when the leader stops', async () => {
    const log: OutboxEvent[] = [];
    // A's subscriber-side trouble lasts until the test lifts it.
    let aDown = true;
    const deliver = async (events: OutboxEvent[]) => {
      if (aDown && events.some((e) => e.type === 'a1')) throw new Error('subscriber down');
      log.push(...events);
    };
    const registries = [createRegistry(), createRegistry()];
    const relays = registries.map((registry) => new OutboxRelay({ producer: 'test', cluster, deliver, logger, registry, pollMs: 20, maxBackoffMs: 100 }));
    relays.forEach((r) => r.start());
    await until('a leader', async () => (await metricSum(registries[0]!, 'outbox_relay_leader')) + (await metricSum(registries[1]!, 'outbox_relay_leader')) === 1);

    for (const [aggregate, type] of [['A', 'a1'], ['B', 'b1'], ['A', 'a2'], ['B', 'b2'], ['A', 'a3']] as const) await enqueue(aggregate, type);

    // B is not held back by A's failing head, and A's head is retried (with backoff) while it fails.
    await until('B delivered', () => log.filter((e) => e.aggregateId === 'B').length === 2);
    await until('a1 retried', async () => ((await cluster.primary<{ attempts: number }[]>`select attempts from outbox where type = 'a1'`)[0]?.attempts ?? 0) >= 2);
    expect(log.some((e) => e.aggregateId === 'A')).toBe(false);
    const [failed] = await cluster.primary`select last_error, next_attempt_at > created_at as backed_off from outbox where type = 'a1'`;
    expect(failed).toMatchObject({ last_error: 'subscriber down', backed_off: true });

    aDown = false;
    await until('A delivered after retries', () => log.filter((e) => e.aggregateId === 'A').length === 3);
    expect(log.filter((e) => e.aggregateId === 'A').map((e) => e.type)).toEqual(['a1', 'a2', 'a3']);
    expect(log.filter((e) => e.aggregateId === 'B').map((e) => e.type)).toEqual(['b1', 'b2']);
    expect((await metricSum(registries[0]!, 'outbox_relay_leader')) + (await metricSum(registries[1]!, 'outbox_relay_leader'))).toBe(1);

    // Fail over: stop whichever leads; the other picks up new events.
    const leader = (await metricSum(registries[0]!, 'outbox_relay_leader')) === 1 ? 0 : 1;
    const series = async (i: number, name: string) => ((await registries[i]!.getSingleMetric(name)?.get())?.values ?? []).length;
    // Only the leader reports the backlog: a follower's (or a former leader's) number would be stale.
    expect([await series(leader, 'outbox_backlog'), await series(1 - leader, 'outbox_backlog')]).toEqual([1, 0]);
    await relays[leader]!.stop();
    expect([await series(leader, 'outbox_backlog'), await series(leader, 'outbox_oldest_age_seconds')]).toEqual([0, 0]);
    await enqueue('C', 'c1');
    await until('C delivered by the other relay', () => log.some((e) => e.type === 'c1'));
    expect(await metricSum(registries[1 - leader]!, 'outbox_relay_leader')).toBe(1);
    await relays[1 - leader]!.stop();

    const [backlog] = await cluster.primary`select count(*)::int as n from outbox where delivered_at is null`;
    expect(backlog!.n).toBe(0);
    expect(new Set(log.map((e) => e.id)).size).toBe(log.length);
    expect(log.every((e) => e.id.startsWith('test:'))).toBe(true);
  });

  test('when the leader\'s primary goes down and comes back, then the process does not crash, and the relay leads and delivers again', async () => {
    const shards = await startTestShards({ count: 1, replicas: 0 });
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    const own = await ShardedDb.connect({ shardMap: ShardMap.single(shards.clusters[0]!.name), clusters: shards.clusters, registry: createRegistry(), pool: { queryTimeoutMs: 1_000, maxAttempts: 1 } });
    const registry = createRegistry();
    const relay = new OutboxRelay({ producer: 'outage', cluster: own.clusters[0]!, deliver: async (events) => void log.push(...events), logger, registry, pollMs: 20 });
    const log: OutboxEvent[] = [];
    try {
      await own.migrateAll(mkdtempSync(path.join(tmpdir(), 'no-migrations-')), [OUTBOX_SQL]);
      const write = (type: string) => own.clusters[0]!.write((tx) => enqueueEvent(tx, { type, aggregateId: 'X', userId: 'usr_1', shard: 1, payload: {} }));
      relay.start();
      await until('the relay to lead', async () => (await metricSum(registry, 'outbox_relay_leader')) === 1);
      await write('before');
      await until('the first event delivered', () => log.some((e) => e.type === 'before'));

      await shards.servers[0]!.primary.stop();
      await until('the relay to step down', async () => (await metricSum(registry, 'outbox_relay_leader')) === 0, 10_000);
      // A few more rounds against the dead primary.
      await new Promise((r) => setTimeout(r, 300));
      await shards.servers[0]!.primary.start();
      await until('the relay to lead again', async () => (await metricSum(registry, 'outbox_relay_leader')) === 1, 15_000);
      await until('a write to succeed again', () => write('after').then(() => true, () => false), 15_000, 200);
      await until('the event after the outage delivered', () => log.some((e) => e.type === 'after'), 15_000);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      await relay.stop();
      await own.end();
      await shards.stop();
    }
  }, 60_000);
});
