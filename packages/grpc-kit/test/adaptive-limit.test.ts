import { users } from '@tessera/contracts';
import { createRegistry } from '@tessera/metrics';
import { AdaptiveLimit, createClient, GrpcStatus, MetadataKeys } from '@tessera/grpc-kit';
import { startUsersServer } from './fixtures/users-stub';

describe('adaptive admission (gradient limit)', () => {
  function driver(options = {}) {
    let t = 0;
    const limit = new AdaptiveLimit({ initial: 100, min: 10, max: 1_000, ...options }, () => t);
    /** Runs `n` requests that each take `ms`, one at a time. */
    const run = (n: number, ms: number) => {
      for (let i = 0; i < n; i++) {
        const release = limit.acquire()!;
        t += ms;
        release();
      }
    };
    return { limit, run };
  }

  test('when latency stays steady, then the limit grows toward its ceiling', () => {
    const { limit, run } = driver();
    run(500, 10);
    expect(limit.limit).toBe(1_000);
  });

  test('when latency climbs well past its usual level, then the limit shrinks; when it recovers, it grows back', () => {
    const { limit, run } = driver();
    run(300, 10);
    const before = limit.limit;
    run(200, 200);
    const squeezed = limit.limit;
    expect(squeezed).toBeLessThan(before / 2);
    run(2_000, 10);
    expect(limit.limit).toBeGreaterThan(squeezed);
  });

  test('when the limit is full, then normal work is refused at once and critical work still has headroom', () => {
    const limit = new AdaptiveLimit({ initial: 4, min: 4, max: 4, criticalHeadroom: 1.5 });
    const held = [1, 2, 3, 4].map(() => limit.acquire());
    expect(held.every(Boolean)).toBe(true);
    expect(limit.acquire('normal')).toBeUndefined();
    const critical = [limit.acquire('critical'), limit.acquire('critical'), limit.acquire('critical')];
    expect(critical.map(Boolean)).toEqual([true, true, false]);
    held[0]!();
    held[0]!(); // releasing twice counts once
    expect(limit.active).toBe(5);
    expect(limit.acquire('normal')).toBeUndefined();
  });
});

describe('a gRPC server shedding load', () => {
  test('when calls exceed its limit, then the excess gets RESOURCE_EXHAUSTED (OVERLOADED, retry in 1 s) at once, and critical methods keep headroom', async () => {
    const server = await startUsersServer(
      { getUser: async () => (await new Promise((r) => setTimeout(r, 1_000)), { user: undefined }), listUsers: async () => (await new Promise((r) => setTimeout(r, 1_000)), { users: [] })},
      { admission: { initial: 2, min: 2, max: 2, criticalHeadroom: 2, critical: ['ListUsers'] } },
    );
    const client = createClient(users.UsersServiceClient, users.UsersServiceService, `127.0.0.1:${server.port}`, { registry: createRegistry() });
    try {
      const outcome = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code: number; metadata: { get(k: string): unknown[] } }) => (e.code === GrpcStatus.RESOURCE_EXHAUSTED ? `shed ${String(e.metadata.get(MetadataKeys.errorReason)[0])} ${String(e.metadata.get(MetadataKeys.retryAfterMs)[0])}` : `code ${e.code}`));
      const started = Date.now();
      const normal = await Promise.all([1, 2, 3, 4].map(() => outcome(client.getUser({ id: 'usr_1' }))));
      expect(normal.filter((o) => o === 'ok')).toHaveLength(2);
      expect(normal.filter((o) => o === 'shed OVERLOADED 1000')).toHaveLength(2);
      // Critical calls get twice the limit here: four at once all pass.
      const critical = await Promise.all([1, 2, 3, 4].map(() => outcome(client.listUsers({ page: { pageSize: 1, pageToken: '', offset: 0 } }))));
      expect(critical).toEqual(['ok', 'ok', 'ok', 'ok']);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      client.close();
      await server.stop();
    }
  });
});
