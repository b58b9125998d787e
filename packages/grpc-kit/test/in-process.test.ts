import { createPublicKey } from 'node:crypto';
import { generateServiceKey, ServiceTokenSigner, ServiceTokenVerifier } from '@tessera/auth';
import { users } from '@tessera/contracts';
import { AppError, Code } from '@tessera/errors';
import { createLogger } from '@tessera/logging';
import { createRegistry, type Registry } from '@tessera/metrics';
import { allow, createClient, GrpcServer, GrpcStatus, IN_PROCESS_TARGET, Metadata, type CallOptions } from '@tessera/grpc-kit';
import { aUser, PUBLIC_USERS, usersImpl, type UsersImpl } from './fixtures/users-stub';

/**
 * The same behaviour over a socket and in-process (monolith mode): each test
 * runs once per transport, with the same server, the same client code and the
 * same assertions. Only the target differs.
 */
type Transport = 'socket' | 'in-process';
const orders = generateServiceKey();

async function serve(transport: Transport, impl: Partial<UsersImpl>, policies = PUBLIC_USERS): Promise<{ target: string; registry: Registry; stop(): Promise<void> }> {
  const registry = createRegistry();
  const server = new GrpcServer({
    logger: createLogger({ service: 'test', level: 'silent' }),
    registry,
    auth: { services: new ServiceTokenVerifier(new Map([['orders', createPublicKey(orders.publicKeyPem)]])) },
    drainDelayMs: 0,
    shutdownTimeoutMs: 1_000,
  });
  server.addService(users.UsersServiceService, usersImpl(impl), policies);
  if (transport === 'in-process') {
    server.bindInProcess();
    return { target: IN_PROCESS_TARGET, registry, stop: () => server.drain() };
  }
  const port = await server.listen('127.0.0.1', 0);
  return { target: `127.0.0.1:${port}`, registry, stop: () => server.drain() };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });

describe.each(['socket', 'in-process'] as const)('a call over %s', (transport) => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });
  const start = async (impl: Partial<UsersImpl>, policies = PUBLIC_USERS, clientOptions: { identity?: ServiceTokenSigner; maxAttempts?: number } = {}) => {
    const server = await serve(transport, impl, policies);
    stop = server.stop;
    const registry = createRegistry();
    return { client: createClient(users.UsersServiceClient, users.UsersServiceService, server.target, { registry, ...clientOptions }), target: server.target, serverRegistry: server.registry, clientRegistry: registry };
  };

  /** A handler that takes 3 s unless its call is cancelled; `aborted()` says whether it saw the cancellation. */
  const startSlow = async () => {
    let aborted = false;
    const started = await start({
      getUser: async (req, ctx) => {
        ctx.signal.addEventListener('abort', () => (aborted = true));
        await sleep(3_000, ctx.signal);
        return { user: aUser(req.id) };
      },
    });
    return { ...started, aborted: () => aborted };
  };

  test('when the handler answers, then the caller gets the response and its trailers', async () => {
    const { client } = await start({
      getUser: async (req, ctx) => {
        ctx.trailer.set('x-consistency-token', 'main:0/1');
        return { user: aUser(req.id) };
      },
    });
    let trailers: Metadata | undefined;
    const options: CallOptions = { onTrailers: (t) => (trailers = t) };
    await expect(client.getUser({ id: 'usr_1' }, options)).resolves.toEqual({ user: aUser('usr_1') });
    expect(trailers?.get('x-consistency-token')).toEqual(['main:0/1']);
  });

  test('when the handler throws an AppError, then the caller gets its code, message and field violations; anything else is a bare INTERNAL', async () => {
    const { client } = await start({
      getUser: async (req) => {
        if (req.id === 'usr_bad') throw AppError.invalidArgument('bad id', [{ field: 'id', description: 'is not an id' }]);
        throw new Error('secret internals');
      },
    });
    const invalid = (await client.getUser({ id: 'usr_bad' }).then(() => undefined, (e: unknown) => e)) as { code: number; details: string; metadata: Metadata };
    expect(invalid).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, details: 'bad id' });
    expect(JSON.parse(String(invalid.metadata.get('x-field-violations-bin')[0]))).toEqual([{ field: 'id', description: 'is not an id' }]);
    await expect(client.getUser({ id: 'usr_2' })).rejects.toMatchObject({ code: GrpcStatus.INTERNAL, details: 'internal error' });
  });

  test('when the handler outlives the deadline, then the caller gets DEADLINE_EXCEEDED, the handler is cancelled, and the server counts it so', async () => {
    const { client, aborted, serverRegistry } = await startSlow();
    const started = Date.now();
    await expect(client.getUser({ id: 'usr_slow' }, { deadlineMs: 150 })).rejects.toMatchObject({ code: GrpcStatus.DEADLINE_EXCEEDED });
    expect(Date.now() - started).toBeLessThan(1_500);
    await new Promise((r) => setTimeout(r, 100));
    expect(aborted()).toBe(true);
    const handled = (await serverRegistry.getSingleMetric('grpc_server_handled_total')!.get()).values.filter((v) => v.labels.grpc_method === 'GetUser');
    expect(handled.map((v) => [v.labels.grpc_code, v.value])).toEqual([['DEADLINE_EXCEEDED', 1]]);
  });

  test('when the caller cancels, then the call ends CANCELLED and the handler sees it', async () => {
    const { client, aborted } = await startSlow();
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 100);
    await expect(client.getUser({ id: 'usr_slow' }, { signal: cancel.signal })).rejects.toMatchObject({ code: GrpcStatus.CANCELLED });
    await new Promise((r) => setTimeout(r, 100));
    expect(aborted()).toBe(true);
  });

  test('when a handler calls on, then the downstream call inherits the deadline, request id and trace', async () => {
    let seen: { deadline: number; requestId: string; traceId: string } | undefined;
    let client: Awaited<ReturnType<typeof start>>['client'] | undefined;
    ({ client } = await start({
      getUser: async (req) => {
        await client!.listUsers({ page: undefined });
        return { user: aUser(req.id) };
      },
      listUsers: async (_req, ctx) => {
        seen = { deadline: ctx.deadline, requestId: ctx.requestId, traceId: ctx.traceId };
        return { users: [], nextPageToken: '' };
      },
    }));
    const before = Date.now();
    await client.getUser({ id: 'usr_1' }, { deadlineMs: 2_000, metadata: { 'x-request-id': 'req-parity-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
    expect(seen).toMatchObject({ requestId: 'req-parity-1', traceId: '0af7651916cd43dd8448eb211c80319c' });
    expect(seen!.deadline).toBeGreaterThan(before);
    expect(seen!.deadline).toBeLessThanOrEqual(before + 2_100);
  });

  test('when the server answers UNAVAILABLE twice, then the call is retried and succeeds on the third attempt; INTERNAL is not retried', async () => {
    let attempts = 0;
    const { client } = await start({
      getUser: async (req) => {
        attempts++;
        if (req.id === 'usr_flaky' && attempts <= 2) throw new AppError(Code.UNAVAILABLE, 'warming up');
        if (req.id === 'usr_broken') throw new AppError(Code.INTERNAL, 'broken');
        return { user: aUser(req.id) };
      },
    });
    await expect(client.getUser({ id: 'usr_flaky' })).resolves.toMatchObject({ user: { id: 'usr_flaky' } });
    expect(attempts).toBe(3);
    attempts = 0;
    await expect(client.getUser({ id: 'usr_broken' })).rejects.toMatchObject({ code: GrpcStatus.INTERNAL });
    expect(attempts).toBe(1);
  });

  test('when a method is for a named service, then a call without its token is UNAUTHENTICATED and with it passes', async () => {
    const policies = { ...PUBLIC_USERS, getUser: allow.services('orders') };
    const { client, target } = await start({ getUser: async (req, ctx) => ({ user: { ...aUser(req.id), displayName: ctx.caller.service ?? '' } }) }, policies, { identity: new ServiceTokenSigner('orders', orders.privateKeyPem) });
    await expect(client.getUser({ id: 'usr_1' })).resolves.toMatchObject({ user: { displayName: 'orders' } });
    const anonymous = createClient(users.UsersServiceClient, users.UsersServiceService, target, { registry: createRegistry() });
    await expect(anonymous.getUser({ id: 'usr_1' })).rejects.toMatchObject({ code: GrpcStatus.UNAUTHENTICATED });
    anonymous.close();
  });

  test('when calls are made, then the server and the client count them by method and code, as over a socket', async () => {
    const { client, serverRegistry, clientRegistry } = await start({ getUser: async (req) => ({ user: aUser(req.id) }) });
    await client.getUser({ id: 'usr_1' });
    await client.getUser({ id: 'usr_2' });
    const count = async (registry: Registry, name: string) => (await registry.getSingleMetric(name)!.get()).values.find((v) => v.labels.grpc_method === 'GetUser' && v.labels.grpc_code === 'OK')?.value;
    expect(await count(serverRegistry, 'grpc_server_handled_total')).toBe(2);
    expect(await count(clientRegistry, 'grpc_client_handled_total')).toBe(2);
  });
});

describe('in-process binding', () => {
  test('when no service is bound, then a call is UNAVAILABLE after its retries, not a hang', async () => {
    const client = createClient(users.UsersServiceClient, users.UsersServiceService, IN_PROCESS_TARGET, { registry: createRegistry(), maxAttempts: 2 });
    await expect(client.getUser({ id: 'usr_1' }, { deadlineMs: 2_000 })).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
  });

  test('when a proxy forwards bytes (its own definition), then they are decoded for the handler and the answer encoded back', async () => {
    const server = await serve('in-process', { getUser: async (req) => ({ user: aUser(req.id) }) });
    const method = users.UsersServiceService.getUser;
    const bytes = { getUser: { ...method, requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b } };
    const proxy = createClient(users.UsersServiceClient, bytes as never, IN_PROCESS_TARGET, { registry: createRegistry() }) as unknown as { getUser(b: Buffer): Promise<Buffer> };
    const answer = await proxy.getUser(method.requestSerialize({ id: 'usr_7' }));
    expect(method.responseDeserialize(answer)).toEqual({ user: aUser('usr_7') });
    await server.stop();
  });

  test('when the server drains, then new calls are refused UNAVAILABLE', async () => {
    const server = await serve('in-process', { getUser: async (req) => ({ user: aUser(req.id) }) });
    const client = createClient(users.UsersServiceClient, users.UsersServiceService, IN_PROCESS_TARGET, { registry: createRegistry(), maxAttempts: 2 });
    await expect(client.getUser({ id: 'usr_1' })).resolves.toBeDefined();
    await server.stop();
    await expect(client.getUser({ id: 'usr_1' }, { deadlineMs: 1_000 })).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
  });
});
