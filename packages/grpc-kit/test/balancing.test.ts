import { users } from '@tessera/contracts';
import { createRegistry } from '@tessera/metrics';
import { createClient } from '@tessera/grpc-kit';
import { aUser, startUsersServer, type TestServer } from './fixtures/users-stub';

describe('client-side load balancing', () => {
  const servers: TestServer[] = [];
  const counts = [0, 0, 0];

  beforeAll(async () => {
    for (const i of [0, 1, 2]) {
      servers.push(
        await startUsersServer({
          getUser: async (req) => {
            counts[i]! += 1;
            return { user: aUser(req.id) };
          },
        }),
      );
    }
  });

  afterAll(async () => Promise.all(servers.map((s) => s.stop())));

  test('when one client makes 300 calls over 3 instances with round_robin, then each instance gets 20-47% of them', async () => {
    // A multi-address target stands in for a headless Service's DNS answer (one address per pod).
    const target = `ipv4:${servers.map((s) => `127.0.0.1:${s.port}`).join(',')}`;
    const client = createClient(users.UsersServiceClient, users.UsersServiceService, target, { registry: createRegistry() });
    await client.getUser({ id: 'usr_warmup' });
    counts.fill(0);
    for (let i = 0; i < 300; i++) await client.getUser({ id: `usr_${i}` });
    client.close();

    expect(counts.reduce((a, b) => a + b, 0)).toBe(300);
    for (const n of counts) {
      expect(n / 300).toBeGreaterThanOrEqual(0.2);
      expect(n / 300).toBeLessThanOrEqual(0.47);
    }
  });
});
