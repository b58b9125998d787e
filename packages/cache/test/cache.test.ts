import { randomUUID } from 'node:crypto';
import { createRegistry, type Registry } from '@tessera/metrics';
import { Cache, createStore, type CacheStore } from '@tessera/cache';
import { sharedRedisClusterNodes, sharedRedisUrl, metricSum, until } from '@tessera/testing';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


const targets: [string, () => string][] = [
  ['a single Redis node', () => sharedRedisUrl()],
  ['a Redis Cluster', () => `redis-cluster://${sharedRedisClusterNodes().map((n) => `${n.host}:${n.port}`).join(',')}`],
];

describe.each(targets)('cache engine on %s', (_label, url) => {
  let store: CacheStore;
  let registry: Registry;
  const ns = `test-${randomUUID()}`;
  const cache = (options: Partial<ConstructorParameters<typeof Cache>[0]> = {}) =>
    new Cache<string>({ name: 'test', store, registry, ttlMs: 60_000, ...options });

  beforeAll(async () => {
    store = createStore(url(), ns, 500);
    registry = createRegistry();
    expect(await store.ready(5_000)).toBe(true);
  });

  afterAll(() => store.close());

  test('when 500 lookups of one uncached key arrive at once, then the loader runs exactly once and all get the value', async () => {
    const c = cache();
    let loads = 0;
    const load = async () => {
      loads++;
      await sleep(30);
      return 'product-1';
    };
    const values = await Promise.all(Array.from({ length: 500 }, () => c.get('hot', load)));
    expect(loads).toBe(1);
    expect(new Set(values)).toEqual(new Set(['product-1']));
    expect(await c.get('hot', load)).toBe('product-1');
    expect(loads).toBe(1);
  });

  test('when a write commits while a slow load of the old value is running, then the old value is not cached', async () => {
    const c = cache();
    let source = 'v1';
    let firstLoad = true;
    let readV1!: () => void;
    const firstRead = new Promise<void>((resolve) => (readV1 = resolve));
    const load = async () => {
      const read = source;
      if (firstLoad) {
        firstLoad = false;
        readV1();
        await sleep(200); // the load read v1, then stalls
      }
      return read;
    };
    const slow = c.get('race', load);
    // Once the load has read (however long the lease took on a busy machine):
    await firstRead;
    source = 'v2'; // the write commits ...
    await c.invalidate('race'); // ... and invalidates after commit
    expect(await slow).toBe('v1'); // its caller asked before the write
    await sleep(50);
    expect(await c.get('race', load)).toBe('v2');
    expect(await c.get('race', load)).toBe('v2');
  });

  test('when a key does not exist, then the miss is cached with the shorter negative TTL', async () => {
    const c = cache({ negativeTtlMs: 5_000 });
    let loads = 0;
    const load = async () => {
      loads++;
      return undefined;
    };
    expect(await c.get('ghost', load)).toBeUndefined();
    await sleep(20);
    expect(await c.get('ghost', load)).toBeUndefined();
    expect(loads).toBe(1);
    const ttl = await c.ttl('ghost');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(6_000);
  });

  test('when 1,000 keys are set together, then their TTLs spread over the ±20% jitter range', async () => {
    const c = cache({ ttlMs: 100_000 });
    const started = Date.now();
    await Promise.all(Array.from({ length: 1_000 }, (_, i) => c.get(`jitter-${i}`, async () => `value-${i}`)));
    // Stores are not awaited by lookups: wait until every one has landed.
    let ttls: number[] = [];
    await until('all 1,000 entries stored', async () => {
      ttls = await Promise.all(Array.from({ length: 1_000 }, (_, i) => c.ttl(`jitter-${i}`)));
      return ttls.every((t) => t > 0);
    });
    expect(Math.min(...ttls)).toBeGreaterThanOrEqual(80_000 - (Date.now() - started));
    expect(Math.max(...ttls)).toBeLessThanOrEqual(120_000);
    // Spread, not clustered: both outer tenths of the range are used, and the middle is not everything.
    expect(ttls.filter((t) => t < 84_000).length).toBeGreaterThan(30);
    expect(ttls.filter((t) => t > 116_000).length).toBeGreaterThan(30);
    expect(ttls.filter((t) => t > 96_000 && t < 104_000).length).toBeLessThan(400);
  });

  test('when a hot key nears expiry, then XFetch reloads it early and lookups never see a miss', async () => {
    const c = cache({ ttlMs: 600, jitter: 0, beta: 2 });
    let loads = 0;
    const load = async () => {
      loads++;
      await sleep(100);
      return `v${loads}`;
    };
    const missesBefore = await metricSum(registry, 'cache_requests_total', { cache: 'test', result: 'miss' });
    await c.get('xfetch', load);
    for (let i = 0; i < 120; i++) {
      await c.get('xfetch', load);
      await sleep(10);
    }
    expect(await metricSum(registry, 'cache_loads_total', { cache: 'test', reason: 'early_refresh' })).toBeGreaterThanOrEqual(1);
    expect((await metricSum(registry, 'cache_requests_total', { cache: 'test', result: 'miss' })) - missesBefore).toBe(1);
  });
});
