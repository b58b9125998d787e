import { users } from '@tessera/contracts';
import { createRegistry } from '@tessera/metrics';
import { createClient, GrpcStatus } from '@tessera/grpc-kit';
import { aUser, startUsersServer, type TestServer } from './fixtures/users-stub';

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

describe('deadlines', () => {
  const servers: TestServer[] = [];
  afterAll(async () => Promise.all(servers.map((s) => s.stop())));

  test('when a handler sleeps past the deadline, then the client gets DEADLINE_EXCEEDED and the handler sees the cancellation', async () => {
    let handlerCancelled: () => void;
    const cancelled = new Promise<void>((resolve) => (handlerCancelled = resolve));
    const server = await startUsersServer({
      getUser: async (req, ctx) => {
        ctx.signal.addEventListener('abort', () => handlerCancelled());
        await sleep(5_000, ctx.signal);
        return { user: aUser(req.id) };
      },
    });
    servers.push(server);
    const client = createClient(users.UsersServiceClient, users.UsersServiceService, `127.0.0.1:${server.port}`, { registry: createRegistry() });

    const started = Date.now();
    await expect(client.getUser({ id: 'usr_slow' }, { deadlineMs: 200 })).rejects.toMatchObject({ code: GrpcStatus.DEADLINE_EXCEEDED });
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(Promise.race([cancelled.then(() => 'cancelled'), new Promise((r) => setTimeout(() => r('not cancelled'), 2_000))])).resolves.toBe('cancelled');
    client.close();
  });

  test('when a call sets no deadline, then the client default still bounds it', async () => {
    const server = await startUsersServer({ getUser: async (_req, ctx) => sleep(5_000, ctx.signal).then(() => ({ user: undefined })) });
    servers.push(server);
    const client = createClient(users.UsersServiceClient, users.UsersServiceService, `127.0.0.1:${server.port}`, { registry: createRegistry(), defaultDeadlineMs: 150 });
    await expect(client.getUser({ id: 'usr_x' })).rejects.toMatchObject({ code: GrpcStatus.DEADLINE_EXCEEDED });
    client.close();
  });

  test('when a handler calls another service, then the downstream call inherits the incoming deadline and request id', async () => {
    let seen: { deadline: number; requestId: string; traceId: string } | undefined;
    const downstream = await startUsersServer({
      getUser: async (req, ctx) => {
        seen = { deadline: ctx.deadline, requestId: ctx.requestId, traceId: ctx.traceId };
        return { user: aUser(req.id) };
      },
    });
    servers.push(downstream);
    const registry = createRegistry();
    const downstreamClient = createClient(users.UsersServiceClient, users.UsersServiceService, `127.0.0.1:${downstream.port}`, { registry, defaultDeadlineMs: 60_000 });
    const upstream = await startUsersServer({ getUser: async (req) => downstreamClient.getUser(req) });
    servers.push(upstream);
    const client = createClient(users.UsersServiceClient, users.UsersServiceService, `127.0.0.1:${upstream.port}`, { registry });

    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const before = Date.now();
    await client.getUser({ id: 'usr_chain' }, { deadlineMs: 800, metadata: { 'x-request-id': 'req-123', traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    expect(seen).toMatchObject({ requestId: 'req-123', traceId });
    // The downstream default is 60 s; the incoming 800 ms budget must win.
    expect(seen!.deadline).toBeGreaterThan(before);
    expect(seen!.deadline).toBeLessThanOrEqual(before + 900);
    expect(seen!.requestId).toBe('req-123');
    expect(seen!.traceId).toBe(traceId);
    client.close();
    downstreamClient.close();
  });
});
