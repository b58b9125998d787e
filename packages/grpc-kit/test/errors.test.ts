import { users } from '@tessera/contracts';
import { AppError } from '@tessera/errors';
import { createRegistry } from '@tessera/metrics';
import { createClient, GrpcStatus, MetadataKeys, type PromiseClient, type ServiceError } from '@tessera/grpc-kit';
import { startUsersServer, type TestServer } from './fixtures/users-stub';

describe('error mapping', () => {
  let server: TestServer;
  let client: PromiseClient<users.UsersServiceClient>;

  beforeAll(async () => {
    server = await startUsersServer({
      getUser: async (req) => {
        if (req.id === 'usr_missing') throw AppError.notFound('user usr_missing');
        if (req.id === 'usr_bad') throw AppError.invalidArgument('bad request', [{ field: '/id', description: 'doit commencer par « usr_ » ✓' }]);
        const secret = 'postgres://admin:hunter2@10.0.0.5/users';
        throw new Error(`connection to ${secret} failed`);
      },
    });
    client = createClient(users.UsersServiceClient, users.UsersServiceService, `127.0.0.1:${server.port}`, { registry: createRegistry() });
  });

  afterAll(async () => {
    client.close();
    await server.stop();
  });

  test('when a handler throws AppError(NOT_FOUND), then the client gets NOT_FOUND with its message', async () => {
    await expect(client.getUser({ id: 'usr_missing' })).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND, details: 'user usr_missing not found' });
  });

  test('when a handler throws AppError with field violations, then they travel in the trailers', async () => {
    const error = (await client.getUser({ id: 'usr_bad' }).catch((e: unknown) => e)) as ServiceError;
    expect(error.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(JSON.parse(String(error.metadata.get(MetadataKeys.fieldViolations)[0]))).toEqual([{ field: '/id', description: 'doit commencer par « usr_ » ✓' }]);
  });

  test('when a handler throws a plain Error, then the client gets INTERNAL with no message, stack or secret', async () => {
    const error = (await client.getUser({ id: 'usr_boom' }).catch((e: unknown) => e)) as ServiceError;
    expect(error.code).toBe(GrpcStatus.INTERNAL);
    expect(error.details).toBe('internal error');
    const everything = JSON.stringify({ details: error.details, metadata: error.metadata.getMap() });
    expect(everything).not.toMatch(/hunter2|postgres:|\.ts:\d+|at .*\(/);
  });

  test('when a handler\'s own call to another service is UNAVAILABLE or out of time, then its caller gets that code (not INTERNAL), without the inner message', async () => {
    const unavailable503 = await startUsersServer({ getUser: async () => { throw AppError.unavailable('the database is unavailable, try again'); } });
    const down = createClient(users.UsersServiceClient, users.UsersServiceService, `127.0.0.1:${unavailable503.port}`, { registry: createRegistry(), defaultDeadlineMs: 2_000 });
    const slow = await startUsersServer({ getUser: () => new Promise((r) => setTimeout(() => r({ user: undefined }), 2_000)) });
    const slowClient = createClient(users.UsersServiceClient, users.UsersServiceService, `127.0.0.1:${slow.port}`, { registry: createRegistry(), defaultDeadlineMs: 200 });
    const front = await startUsersServer({
      getUser: async (req) => (req.id === 'usr_down' ? down.getUser({ id: 'usr_1' }) : slowClient.getUser({ id: 'usr_1' })),
    });
    const frontClient = createClient(users.UsersServiceClient, users.UsersServiceService, `127.0.0.1:${front.port}`, { registry: createRegistry(), defaultDeadlineMs: 5_000 });
    try {
      const unavailable = (await frontClient.getUser({ id: 'usr_down' }).catch((e: unknown) => e)) as ServiceError;
      expect([unavailable.code, unavailable.details]).toEqual([GrpcStatus.UNAVAILABLE, 'a dependency is unavailable; try again']);
      const late = (await frontClient.getUser({ id: 'usr_slow' }).catch((e: unknown) => e)) as ServiceError;
      expect([late.code, late.details]).toEqual([GrpcStatus.DEADLINE_EXCEEDED, 'a dependency did not answer in time']);
    } finally {
      for (const c of [down, slowClient, frontClient]) c.close();
      await front.stop();
      await slow.stop();
      await unavailable503.stop();
    }
  });
});
