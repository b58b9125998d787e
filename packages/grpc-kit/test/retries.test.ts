import { users } from '@tessera/contracts';
import { AppError, Code } from '@tessera/errors';
import { createRegistry } from '@tessera/metrics';
import { createClient, GrpcStatus } from '@tessera/grpc-kit';
import { aUser, startUsersServer, type TestServer } from './fixtures/users-stub';

describe('retries', () => {
  let server: TestServer;
  const attempts = new Map<string, number>();

  beforeAll(async () => {
    server = await startUsersServer({
      getUser: async (req) => {
        const n = (attempts.get(req.id) ?? 0) + 1;
        attempts.set(req.id, n);
        if (req.id.startsWith('usr_flaky') && n <= 2) throw new AppError(Code.UNAVAILABLE, 'warming up');
        if (req.id.startsWith('usr_broken')) throw new AppError(Code.INTERNAL, 'broken');
        return { user: aUser(req.id) };
      },
    });
  });

  afterAll(() => server.stop());

  test('when the server answers UNAVAILABLE twice then OK, then the call succeeds on the third attempt', async () => {
    const client = createClient(users.UsersServiceClient, users.UsersServiceService, `127.0.0.1:${server.port}`, { registry: createRegistry() });
    await expect(client.getUser({ id: 'usr_flaky1' })).resolves.toMatchObject({ user: { id: 'usr_flaky1' } });
    expect(attempts.get('usr_flaky1')).toBe(3);
    client.close();
  });

  test('when the server answers INTERNAL, then the call is not retried', async () => {
    const client = createClient(users.UsersServiceClient, users.UsersServiceService, `127.0.0.1:${server.port}`, { registry: createRegistry() });
    await expect(client.getUser({ id: 'usr_broken1' })).rejects.toMatchObject({ code: GrpcStatus.INTERNAL });
    expect(attempts.get('usr_broken1')).toBe(1);
    client.close();
  });

  test('when UNAVAILABLE persists past maxAttempts, then the caller gets UNAVAILABLE after exactly maxAttempts tries', async () => {
    const client = createClient(users.UsersServiceClient, users.UsersServiceService, `127.0.0.1:${server.port}`, { registry: createRegistry(), maxAttempts: 2 });
    await expect(client.getUser({ id: 'usr_flaky2' })).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
    expect(attempts.get('usr_flaky2')).toBe(2);
    client.close();
  });
});
