import { connect, GrpcStatus, MetadataKeys, type ServiceError, type TesseraClient } from '@tessera/client';
import { eventually } from '@tessera/testing';
import { addQuotaEdge, ADMIN, http, startStack, type Stack } from './fixtures/stack';

const codeOf = (p: Promise<unknown>) => p.then(() => 'OK', (e: ServiceError) => GrpcStatus[e.code]);

describe('the public gRPC API through the edge', () => {
  let stack: Stack;
  let anonymous: TesseraClient;
  let me: { id: string; token: string };
  let other: { id: string; token: string };
  let productId: string;

  beforeAll(async () => {
    stack = await startStack({ edgeEnv: { RATE_LIMIT_AUTH: '10000', RATE_LIMIT_ANONYMOUS: '10000', RATE_LIMIT_AUTH_FAILURES: '10000', RATE_LIMIT_PREFIX: `grpc-${Date.now()}:` } });
    anonymous = connect({ target: stack.grpc() });
    const signUp = async (name: string) => {
      const email = `${name}-${Date.now()}@grpc.test`;
      // Over gRPC, like any outside client: register, then log in.
      const { user } = await anonymous.users.createUser({ email, password: 'correct horse battery staple', displayName: name });
      const { tokens } = await anonymous.auth.login({ email, password: 'correct horse battery staple' });
      return { id: user!.id, token: tokens!.accessToken };
    };
    [me, other] = [await signUp('me'), await signUp('other')];
    const admin = (await http(stack.url(), 'POST', '/api/v2/auth/login', { body: ADMIN })).body.access_token as string;
    productId = (await http(stack.url(), 'POST', '/api/v2/products', { token: admin, body: { name: 'Grpc mug', description: '', price: { amount_minor: 900, currency: 'USD' }, stock: 50 } })).body.id;
  }, 60_000);

  afterAll(async () => {
    anonymous.close();
    await stack.stop();
  });

  test('when an outside client browses without credentials, then public methods answer and user methods are UNAUTHENTICATED', async () => {
    const { product } = await anonymous.catalog.getProduct({ id: productId });
    expect(product).toMatchObject({ id: productId, name: 'Grpc mug', price: { amountMinor: 900, currency: 'USD' } });
    expect(await codeOf(anonymous.orders.listOrders({ userId: me.id }))).toBe('UNAUTHENTICATED');
  });

  test('when a user orders over gRPC, then the order is theirs, its consistency token comes back, and reading it at once with the token finds it', async () => {
    const client = connect({ target: stack.grpc(), credential: me.token });
    try {
      let token = '';
      const { order } = await client.orders.createOrder(
        { userId: me.id, items: [{ productId, quantity: 2 }], paymentMethod: 'pm_card_ok', idempotencyKey: `grpc-${Date.now()}` },
        { onTrailers: (t) => (token = String(t.get(MetadataKeys.consistencyToken)[0] ?? '')) },
      );
      expect(order).toMatchObject({ userId: me.id, total: { amountMinor: 1800, currency: 'USD' } });
      expect(token).not.toBe('');
      const read = await client.orders.getOrder({ userId: me.id, id: order!.id }, { metadata: { [MetadataKeys.consistencyToken]: token } });
      expect(read.order!.id).toBe(order!.id);
      // Another user's things: the services refuse, whatever the request says.
      expect(await codeOf(client.orders.listOrders({ userId: other.id }))).toBe('PERMISSION_DENIED');
      expect(await codeOf(client.orders.getOrder({ userId: other.id, id: order!.id }))).toBe('PERMISSION_DENIED');
    } finally {
      client.close();
    }
  });

  test('when input is bad, then INVALID_ARGUMENT arrives with its field violations, as the service raised it', async () => {
    const client = connect({ target: stack.grpc(), credential: me.token });
    try {
      const error = (await client.orders.createOrder({ userId: me.id, items: [], paymentMethod: 'pm_card_ok', idempotencyKey: 'k' }).catch((e: unknown) => e)) as ServiceError;
      expect(error.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(JSON.parse(String(error.metadata.get(MetadataKeys.fieldViolations)[0]))).toEqual([expect.objectContaining({ field: '/items' })]);
    } finally {
      client.close();
    }
  });

  test('when an API key is the credential (as bearer), then it acts within its scopes only', async () => {
    const key = (await http(stack.url(), 'POST', '/api/v2/api-keys', { token: me.token, body: { name: 'grpc', scopes: ['orders:read'] } })).body.key as string;
    const client = connect({ target: stack.grpc(), credential: key });
    try {
      // The list reads a replica 1 s behind, and a key remembers no write of the session's: wait for it.
      await eventually('the order on the orders replica', async () => ((await client.orders.listOrders({ userId: me.id })).orders.length > 0 ? true : undefined));
      expect(await codeOf(client.orders.createOrder({ userId: me.id, items: [{ productId, quantity: 1 }], paymentMethod: 'pm_card_ok', idempotencyKey: `k-${Date.now()}` }))).toBe('PERMISSION_DENIED');
      // Minting keys takes a signed-in session, not a key.
      expect(await codeOf(client.apiKeys.listApiKeys({ userId: me.id }))).toBe('PERMISSION_DENIED');
    } finally {
      client.close();
    }
  });

  test("when an outside client calls an internal method, even holding a stolen edge service token, then it is refused: the gateway lends no identity and forwards no service token", async () => {
    const stolen = await stack.identities.signer('edge').token('tessera.users.v1.ApiKeysService');
    expect(await codeOf(anonymous.apiKeys.verifyApiKey({ key: 'tsk_1_x' }, { metadata: { 'x-service-token': stolen } }))).toBe('UNAUTHENTICATED');
    const client = connect({ target: stack.grpc(), credential: me.token });
    try {
      expect(await codeOf(client.orders.batchGetOrders({ refs: [{ userId: me.id, id: 'ord_1' }] }))).toBe('UNAUTHENTICATED');
    } finally {
      client.close();
    }
  });

  test('when credentials are bad, then UNAUTHENTICATED; past the failure budget, RESOURCE_EXHAUSTED with a retry delay, before any lookup', async () => {
    const index = await addQuotaEdge(stack, { RATE_LIMIT_AUTH_FAILURES: '3', RATE_LIMIT_PREFIX: `grpc-fail-${Date.now()}:` });
    const forged = connect({ target: stack.grpc(index), credential: 'not.a.token' });
    try {
      const answers: string[] = [];
      let retryAfter: string | undefined;
      for (let i = 0; i < 5; i++) {
        const error = (await forged.catalog.listProducts({ query: '' }).catch((e: unknown) => e)) as ServiceError;
        answers.push(GrpcStatus[error.code]!);
        retryAfter ??= error.metadata.get(MetadataKeys.retryAfterMs)[0]?.toString();
      }
      expect(answers).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'RESOURCE_EXHAUSTED', 'RESOURCE_EXHAUSTED']);
      expect(Number(retryAfter)).toBeGreaterThan(0);
    } finally {
      forged.close();
    }
  });

  test('when one client calls over REST and gRPC alike, then both spend one shared budget', async () => {
    const index = await addQuotaEdge(stack, { RATE_LIMIT_ANONYMOUS: '6', RATE_LIMIT_PREFIX: `grpc-quota-${Date.now()}:` });
    const client = connect({ target: stack.grpc(index) });
    try {
      const outcomes: string[] = [];
      for (let i = 0; i < 4; i++) {
        outcomes.push(`rest ${(await http(stack.url(index), 'GET', `/api/v2/products/${productId}`)).status}`);
        outcomes.push(`grpc ${await codeOf(client.catalog.getProduct({ id: productId }))}`);
      }
      expect(outcomes).toEqual(['rest 200', 'grpc OK', 'rest 200', 'grpc OK', 'rest 200', 'grpc OK', 'rest 429', 'grpc RESOURCE_EXHAUSTED']);
    } finally {
      client.close();
    }
  });
});
