import { Client, credentials, Metadata, status, type MethodDefinition, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { generateServiceKey, ServiceTokenSigner } from '@tessera/auth';
import { catalog, events, notifications, orders, payments, PROTO_ROOT, protoFiles, users } from '@tessera/contracts';
import type { Policy } from '@tessera/grpc-kit';
import { SERVICE_NAMES, type Caller } from '@tessera/local-infra';
import { catalogPolicies } from '../services/catalog/src/entry-points/grpc/policies';
import { eventConsumerPolicies, notificationsPolicies, webhooksPolicies } from '../services/notifications/src/entry-points/grpc/policies';
import { ordersPolicies } from '../services/orders/src/entry-points/grpc/policies';
import { paymentsPolicies } from '../services/payments/src/entry-points/grpc/policies';
import { apiKeysPolicies, authPolicies, oauthClientsPolicies, usersPolicies } from '../services/users/src/entry-points/grpc/policies';
import { ADMIN, http, startStack, type Stack } from '../edge/test/fixtures/stack';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any request and response type
type Definition = Record<string, MethodDefinition<any, any>>;

/** Every gRPC service of the platform: its definition, where it runs, and its policy table. */
const SERVICES: Record<string, { definition: Definition; runsIn: keyof Stack['targets']; policies: Readonly<Record<string, Policy>> }> = {
  'tessera.users.v1.UsersService': { definition: users.UsersServiceService, runsIn: 'users', policies: usersPolicies },
  'tessera.users.v1.AuthService': { definition: users.AuthServiceService, runsIn: 'users', policies: authPolicies },
  'tessera.users.v1.ApiKeysService': { definition: users.ApiKeysServiceService, runsIn: 'users', policies: apiKeysPolicies },
  'tessera.users.v1.OAuthClientsService': { definition: users.OAuthClientsServiceService, runsIn: 'users', policies: oauthClientsPolicies },
  'tessera.catalog.v1.CatalogService': { definition: catalog.CatalogServiceService, runsIn: 'catalog', policies: catalogPolicies },
  'tessera.orders.v1.OrdersService': { definition: orders.OrdersServiceService, runsIn: 'orders', policies: ordersPolicies },
  'tessera.payments.v1.PaymentsService': { definition: payments.PaymentsServiceService, runsIn: 'payments', policies: paymentsPolicies },
  'tessera.notifications.v1.NotificationsService': { definition: notifications.NotificationsServiceService, runsIn: 'notifications', policies: notificationsPolicies },
  'tessera.notifications.v1.WebhooksService': { definition: notifications.WebhooksServiceService, runsIn: 'notifications', policies: webhooksPolicies },
  'tessera.events.v1.EventConsumerService': { definition: events.EventConsumerServiceService, runsIn: 'notifications', policies: eventConsumerPolicies },
};

/** Every RPC declared in the protos, as "package.Service/Method", read from the .proto files themselves. */
function rpcsInProtos(): string[] {
  const definition = loadSync(Object.values(protoFiles), { includeDirs: [PROTO_ROOT] });
  return Object.entries(definition).flatMap(([name, value]) =>
    typeof value === 'function' || !('format' in value) ? Object.values(value as Record<string, { path: string }>).map((m) => m.path.slice(1)) : [],
  );
}

describe('every RPC declares who may call it', () => {
  test('when the protos are walked, then each RPC has exactly one policy in its service table, and no table names a method the protos lack', () => {
    const rpcs = rpcsInProtos();
    expect(rpcs.length).toBeGreaterThanOrEqual(43);
    const missing: string[] = [];
    for (const rpc of rpcs) {
      const [service, method] = rpc.split('/') as [string, string];
      const entry = SERVICES[service];
      const key = Object.entries(entry?.definition ?? {}).find(([, m]) => m.path === `/${rpc}`)?.[0];
      if (!entry || !key || !entry.policies[key]) missing.push(rpc);
      expect(method).toBeTruthy();
    }
    expect(missing).toEqual([]);
    const declared = Object.values(SERVICES).flatMap((s) => Object.keys(s.policies).map((k) => s.definition[k]?.path.slice(1) ?? `unknown method ${k}`));
    expect(declared.sort()).toEqual([...rpcs].sort());
  });
});

describe('the policies hold against the running services', () => {
  let stack: Stack;
  let userToken: string;
  let otherUserId: string;
  let narrowKeyToken: string;
  let wideKey: string;
  const clients = new Map<string, Client>();

  beforeAll(async () => {
    stack = await startStack({ edgeEnv: { RATE_LIMIT_AUTH: '10000', RATE_LIMIT_ANONYMOUS: '10000', RATE_LIMIT_PREFIX: `policies-${Date.now()}:` } });
    const signUp = async (name: string) => {
      const email = `${name}-${Date.now()}@policies.test`;
      const created = await http(stack.url(), 'POST', '/api/v2/users', { body: { email, password: 'correct horse battery staple', display_name: name } });
      const token = (await http(stack.url(), 'POST', '/api/v2/auth/login', { body: { email, password: 'correct horse battery staple' } })).body.access_token as string;
      return { id: created.body.id as string, token };
    };
    const me = await signUp('me');
    userToken = me.token;
    otherUserId = (await signUp('other')).id;
    // A key with one scope, and one with every user scope (still not a session).
    const narrow = (await http(stack.url(), 'POST', '/api/v2/api-keys', { token: userToken, body: { name: 'narrow', scopes: ['profile:read'] } })).body.key as string;
    wideKey = (await http(stack.url(), 'POST', '/api/v2/api-keys', { token: userToken, body: { name: 'wide', scopes: ['profile:read', 'profile:write', 'orders:read', 'orders:write', 'notifications:read', 'notifications:write', 'webhooks:read', 'webhooks:write'] } })).body.key as string;
    // What the services receive for a key: the principal token the users service signs for the edge.
    narrowKeyToken = await principalTokenOf(narrow, stack.identities.signer('edge'));
  }, 90_000);

  afterAll(async () => {
    clients.forEach((c) => c.close());
    await stack.stop();
  });

  /** VerifyApiKey as the edge calls it, for the principal token the services would receive. */
  async function principalTokenOf(key: string, edge: ServiceTokenSigner): Promise<string> {
    const reply = await call('tessera.users.v1.ApiKeysService', 'verifyApiKey', { key }, { service: edge });
    if (reply.error) throw reply.error;
    return (reply.response as { principalToken: string }).principalToken;
  }

  function clientFor(runsIn: keyof Stack['targets']): Client {
    let client = clients.get(runsIn);
    if (!client) clients.set(runsIn, (client = new Client(stack.targets[runsIn], credentials.createInsecure())));
    return client;
  }

  /** One call with exactly these credentials; the request is the method's empty message with `fields` set. */
  async function call(service: string, method: string, fields: Record<string, unknown>, as: { bearer?: string; service?: ServiceTokenSigner; serviceToken?: string }): Promise<{ error?: ServiceError; response?: unknown }> {
    const entry = SERVICES[service]!;
    const definition = entry.definition[method]!;
    const request = Object.assign(definition.requestDeserialize(Buffer.alloc(0)) as object, fields);
    const metadata = new Metadata();
    if (as.bearer) metadata.set('authorization', `Bearer ${as.bearer}`);
    if (as.service) metadata.set('x-service-token', await as.service.token(service));
    if (as.serviceToken) metadata.set('x-service-token', as.serviceToken);
    return new Promise((resolve) =>
      clientFor(entry.runsIn).makeUnaryRequest(definition.path, definition.requestSerialize, definition.responseDeserialize, request, metadata, { deadline: Date.now() + 5_000 }, (error, response) =>
        resolve(error ? { error } : { response }),
      ),
    );
  }

  const codeOf = (reply: { error?: ServiceError }) => (reply.error ? status[reply.error.code] : 'OK');
  /** A refusal by the policy itself (a public method may still answer UNAUTHENTICATED for a wrong password in its body). */
  const refusedByPolicy = (reply: { error?: ServiceError }) => /access token is required|service token is required|lacks a required scope|another user|admin credential|signed-in session/.test(reply.error?.details ?? '');

  const every = Object.entries(SERVICES).flatMap(([service, entry]) => Object.entries(entry.policies).map(([method, policy]) => ({ service, method, policy })));

  test('when any RPC but a public one is called without credentials, then UNAUTHENTICATED; a public one is served', async () => {
    const wrong: string[] = [];
    for (const { service, method, policy } of every) {
      const reply = await call(service, method, {}, {});
      const code = codeOf(reply);
      const expected = policy.kind === 'public' ? !refusedByPolicy(reply) : code === 'UNAUTHENTICATED' && refusedByPolicy(reply);
      if (!expected) wrong.push(`${service}/${method} (${policy.kind}) → ${code}`);
    }
    expect(wrong).toEqual([]);
  });

  test('when a method for named services is called by another Tessera process, by a forged key, or with a user token, then PERMISSION_DENIED or UNAUTHENTICATED', async () => {
    const forged = new ServiceTokenSigner('orders', generateServiceKey().privateKeyPem);
    const wrong: string[] = [];
    const internal = every.filter((e) => e.policy.kind === 'services');
    expect(internal.map((e) => e.method).sort()).toEqual(['authorizePayment', 'batchGetOrders', 'capturePayment', 'consumeEvents', 'refundPayment', 'releaseStock', 'reserveStock', 'verifyApiKey']);
    for (const { service, method, policy } of internal) {
      const names = policy.kind === 'services' ? policy.names : [];
      const outsider = (['edge', ...SERVICE_NAMES] as Caller[]).find((n) => !names.includes(n))!;
      const asOutsider = codeOf(await call(service, method, {}, { service: stack.identities.signer(outsider) }));
      const asForged = codeOf(await call(service, method, {}, { service: forged }));
      const asUser = codeOf(await call(service, method, {}, { bearer: userToken }));
      if (asOutsider !== 'PERMISSION_DENIED' || asForged !== 'UNAUTHENTICATED' || asUser !== 'UNAUTHENTICATED') wrong.push(`${service}/${method}: ${outsider} → ${asOutsider}, forged → ${asForged}, user → ${asUser}`);
    }
    expect(wrong).toEqual([]);
  });

  test("when a user-scoped RPC names another user than the token's, or the credential lacks the scope, then PERMISSION_DENIED", async () => {
    const wrong: string[] = [];
    for (const { service, method, policy } of every) {
      if (policy.kind !== 'user') continue;
      if (policy.owner) {
        const code = codeOf(await call(service, method, { [policy.owner]: otherUserId }, { bearer: userToken }));
        if (code !== 'PERMISSION_DENIED') wrong.push(`${service}/${method} naming another user → ${code}`);
      }
      if (policy.scopes.some((s) => s !== 'profile:read')) {
        const code = codeOf(await call(service, method, {}, { bearer: narrowKeyToken }));
        if (code !== 'PERMISSION_DENIED') wrong.push(`${service}/${method} with a profile:read key → ${code}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  test('when an admin RPC is called with a user token, or a session-only RPC with an API key holding every scope, then PERMISSION_DENIED; an admin is served', async () => {
    const wide = await principalTokenOf(wideKey, stack.identities.signer('edge'));
    const admin = (await http(stack.url(), 'POST', '/api/v2/auth/login', { body: ADMIN })).body.access_token as string;
    const wrong: string[] = [];
    for (const { service, method, policy } of every) {
      if (policy.kind === 'admin') {
        const code = codeOf(await call(service, method, {}, { bearer: userToken }));
        if (code !== 'PERMISSION_DENIED') wrong.push(`${service}/${method} as a user → ${code}`);
        const asAdmin = codeOf(await call(service, method, {}, { bearer: admin }));
        if (asAdmin === 'UNAUTHENTICATED' || asAdmin === 'PERMISSION_DENIED') wrong.push(`${service}/${method} as the admin → ${asAdmin}`);
      }
      if (policy.kind === 'user' && policy.sessionOnly) {
        const code = codeOf(await call(service, method, { userId: (await http(stack.url(), 'GET', '/api/v2/users/me', { token: userToken })).body.id }, { bearer: wide }));
        if (code !== 'PERMISSION_DENIED') wrong.push(`${service}/${method} with a key → ${code}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  test('when a service token is replayed against another service than it was signed for, then UNAUTHENTICATED', async () => {
    const orders = stack.identities.signer('orders');
    const forCatalog = await orders.token('tessera.catalog.v1.CatalogService');
    expect(codeOf(await call('tessera.catalog.v1.CatalogService', 'releaseStock', {}, { service: orders }))).not.toMatch(/UNAUTHENTICATED|PERMISSION_DENIED/);
    expect(codeOf(await call('tessera.payments.v1.PaymentsService', 'refundPayment', {}, { serviceToken: forCatalog }))).toBe('UNAUTHENTICATED');
  });
});
