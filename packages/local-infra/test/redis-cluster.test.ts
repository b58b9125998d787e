import Redis, { Cluster } from 'ioredis';
import { sharedRedisClusterNodes, sharedRedisUrl } from '@tessera/testing';

describe('redis cluster from the harness', () => {
  let cluster: Cluster;

  beforeAll(() => {
    cluster = new Cluster(sharedRedisClusterNodes(), { redisOptions: { maxRetriesPerRequest: 2 } });
  });

  afterAll(() => cluster.disconnect());

  test('when 300 keys are written through the cluster client, then every master holds some and all read back', async () => {
    const prefix = `harness:${Date.now()}:`;
    const keys = Array.from({ length: 300 }, (_, i) => `${prefix}${i}`);
    await Promise.all(keys.map((k, i) => cluster.set(k, String(i), 'EX', 60)));

    const counts = await Promise.all(
      sharedRedisClusterNodes().map(async ({ host, port }) => {
        const node = new Redis({ host, port });
        try {
          let cursor = '0';
          let n = 0;
          do {
            const [next, found] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
            cursor = next;
            n += found.length;
          } while (cursor !== '0');
          return n;
        } finally {
          node.disconnect();
        }
      }),
    );
    expect(counts).toHaveLength(3);
    for (const n of counts) expect(n).toBeGreaterThan(0);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(300);

    const values = await Promise.all(keys.map((k) => cluster.get(k)));
    expect(values).toEqual(keys.map((_, i) => String(i)));
  });

  test('when the single-node redis is asked, then it answers on its own port', async () => {
    const redis = new Redis(sharedRedisUrl());
    try {
      expect(await redis.ping()).toBe('PONG');
      const info = await redis.info('server');
      expect(info).toMatch(/redis_mode:standalone/);
    } finally {
      redis.disconnect();
    }
  });
});
