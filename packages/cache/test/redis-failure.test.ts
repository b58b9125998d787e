import path from 'node:path';
import Redis from 'ioredis';
import { startRedis, startRedisCluster, type RedisCluster, type RedisNode } from '@tessera/local-infra';
import { createRegistry, type Registry } from '@tessera/metrics';
import { Cache, createStore, redisConnection, type CacheStore } from '@tessera/cache';
import { scratchDir, metricSum, until } from '@tessera/testing';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


describe('cache engine when Redis is paused (SIGSTOP)', () => {
  let redis: RedisNode;
  let store: CacheStore;
  let registry: Registry;
  const COMMAND_TIMEOUT_MS = 100;
  const DB_MS = 2;

  beforeAll(async () => {
    redis = await startRedis({ dir: path.join(scratchDir('redis-pause'), 'redis') });
    store = createStore(redis.url, 'pause', COMMAND_TIMEOUT_MS);
    registry = createRegistry();
    expect(await store.ready(5_000)).toBe(true);
  });

  afterAll(async () => {
    redis.resume();
    await store.close();
    await redis.stop();
  });

  test('when Redis is paused during 1,000 lookups, then every lookup succeeds within the command timeout plus the DB time, and the cache is used again after SIGCONT', async () => {
    const cache = new Cache<string>({ name: 'paused', store, registry, ttlMs: 60_000, breakerOpenMs: 300 });
    const load = async (key: string) => {
      await sleep(DB_MS);
      return `db:${key}`;
    };
    for (let i = 0; i < 20; i++) await cache.get(`k${i}`, () => load(`k${i}`));
    await sleep(50);

    redis.pause();
    let slowest = 0;
    try {
      for (let i = 0; i < 1_000; i++) {
        const key = `k${i % 20}`;
        const started = Date.now();
        expect(await cache.get(key, () => load(key))).toBe(`db:${key}`);
        slowest = Math.max(slowest, Date.now() - started);
      }
    } finally {
      redis.resume();
    }
    // One command timeout (the GET), then the DB; plus timer and scheduling slack on a 2-core machine running other suites in parallel.
    expect(slowest).toBeLessThan(COMMAND_TIMEOUT_MS + DB_MS + 100);
    expect(await metricSum(registry, 'cache_requests_total', { cache: 'paused', result: 'bypass' })).toBeGreaterThanOrEqual(1_000);

    // The breaker half-opens, a probe succeeds, and lookups are hits again.
    const hitsBefore = await metricSum(registry, 'cache_requests_total', { cache: 'paused', result: 'hit' });
    const deadline = Date.now() + 5_000;
    while ((await metricSum(registry, 'cache_requests_total', { cache: 'paused', result: 'hit' })) === hitsBefore) {
      if (Date.now() > deadline) throw new Error('cache not used again after SIGCONT');
      await cache.get('k1', () => load('k1'));
      await sleep(50);
    }
    expect(await metricSum(registry, 'cache_breaker_state', { cache: 'paused' })).toBe(0);
  });
});

describe('a Redis Cluster connection when the cluster marks a node failed', () => {
  let cluster: RedisCluster;
  let redis: ReturnType<typeof redisConnection>;

  beforeAll(async () => {
    cluster = await startRedisCluster({ dir: path.join(scratchDir('redis-cluster-down'), 'redis') });
    redis = redisConnection(`redis-cluster://${cluster.startupNodes.map((n) => `${n.host}:${n.port}`).join(',')}`, 100);
    await until('the cluster client is ready', () => redis.set('probe', '1').then(() => true, () => false), 10_000, 100);
  }, 30_000);

  afterAll(async () => {
    cluster.nodes.forEach((n) => n.resume());
    redis.disconnect();
    await cluster.stop();
  });

  test('when a master is unreachable past the node timeout (CLUSTERDOWN everywhere), then commands fail at once instead of being resent for seconds, and work again once it returns', async () => {
    cluster.nodes[1]!.pause();
    const live = new Redis({ host: cluster.nodes[0]!.host, port: cluster.nodes[0]!.port });
    try {
      await until('the cluster marks the node failed', async () => ((await live.call('CLUSTER', 'INFO')) as string).includes('cluster_state:fail'), 20_000, 200);
    } finally {
      live.disconnect();
    }
    const started = Date.now();
    await expect(redis.get('probe')).rejects.toThrow(/CLUSTERDOWN/);
    // ioredis' default resends a CLUSTERDOWN command every 100 ms, 16 times: 1.6 s.
    expect(Date.now() - started).toBeLessThan(500);

    cluster.nodes[1]!.resume();
    await until('commands work again', () => redis.get('probe').then((v) => v === '1', () => false), 20_000, 200);
  }, 60_000);
});
