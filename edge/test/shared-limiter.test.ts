import { Redis } from 'ioredis';
import { sharedRedisUrl } from '@tessera/testing';
import { leaseSize, SharedRateLimiter } from '../src/rate-limit/shared-limiter';

describe('the shared rate limiter (leased hits, one Redis round trip per lease)', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(sharedRedisUrl(), { maxRetriesPerRequest: 1 });
  });
  afterAll(() => redis.disconnect());

  const edges = (n: number, prefix: string, now?: () => number) => Array.from({ length: n }, () => new SharedRateLimiter({ windowMs: 60_000, redis, prefix, onStoreError: () => undefined, ...(now ? { now } : {}) }));

  test.each([[100], [1_000], [7]])('when 3 edges take a key with limit %i concurrently, then never more than the limit pass, and at most (N−1)·1.5·lease fewer', async (limit) => {
    const prefix = `rl-test-${limit}-${Date.now()}:`;
    const three = edges(3, prefix);
    const attempts = await Promise.all(Array.from({ length: limit * 2 }, (_, i) => three[i % 3]!.take('ip:203.0.113.9', limit)));
    const admitted = attempts.filter((d) => d.allowed).length;
    expect(admitted).toBeLessThanOrEqual(limit);
    expect(admitted).toBeGreaterThanOrEqual(limit - 2 * Math.floor(1.5 * leaseSize(limit)));
    // And the shared counter never went past the limit.
    const [key] = await redis.keys(`${prefix}*`);
    expect(Number(await redis.get(key!))).toBeLessThanOrEqual(limit);
  });

  test('when edges take hits one after another, then the count is exact and the remaining hits are reported', async () => {
    const [a, b] = edges(2, `rl-seq-${Date.now()}:`);
    const first = await a!.take('user:1', 10);
    expect(first).toMatchObject({ allowed: true, limit: 10, remaining: 9 });
    let admitted = 1;
    for (let i = 0; i < 20; i++) if ((await (i % 2 ? a! : b!).take('user:1', 10)).allowed) admitted++;
    expect(admitted).toBe(10);
    expect(await b!.take('user:1', 10)).toMatchObject({ allowed: false, remaining: 0 });
  });

  test('when the window turns, then the key has its whole limit again', async () => {
    let now = 1_000 * 60_000;
    const [edge] = edges(1, `rl-window-${Date.now()}:`, () => now);
    for (let i = 0; i < 3; i++) expect((await edge!.take('ip:198.51.100.1', 3)).allowed).toBe(true);
    expect((await edge!.take('ip:198.51.100.1', 3)).allowed).toBe(false);
    now += 60_000;
    expect(await edge!.take('ip:198.51.100.1', 3)).toMatchObject({ allowed: true, remaining: 2 });
  });

  test('when Redis is unreachable, then each process enforces the limit on its own and reports the store error', async () => {
    const down = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
    down.on('error', () => undefined);
    let errors = 0;
    const edge = new SharedRateLimiter({ windowMs: 60_000, redis: down, prefix: 'rl-down:', onStoreError: () => errors++ });
    const decisions = await Promise.all(Array.from({ length: 8 }, () => edge.take('ip:192.0.2.1', 5)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
    expect(errors).toBeGreaterThan(0);
    down.disconnect();
  });
});
