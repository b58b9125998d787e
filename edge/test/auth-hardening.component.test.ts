import { mintSecret } from '@tessera/auth';
import { eventually } from '@tessera/testing';
import { addQuotaEdge, ADMIN, http, startStack, type Reply, type Stack } from './fixtures/stack';

let seq = 0;
const unique = (name: string) => `${name}-${Date.now()}-${seq++}@hardening.test`;
const PASSWORD = 'correct horse battery staple';

/** The auth review's attacks through the REST edge, each reproduced, then shown refused. */
describe('the REST edge: auth hardening', () => {
  let stack: Stack;
  let base: string;
  let adminToken: string;

  beforeAll(async () => {
    stack = await startStack({ edgeEnv: { RATE_LIMIT_AUTH: '10000', RATE_LIMIT_ANONYMOUS: '10000', RATE_LIMIT_AUTH_FAILURES: '10000', REVOCATION_CHECK_MS: '500', RATE_LIMIT_PREFIX: `edge-hard-${Date.now()}:` } });
    base = stack.url();
    adminToken = (await http(base, 'POST', '/api/v2/auth/login', { body: ADMIN })).body.access_token;
  }, 60_000);

  afterAll(() => stack.stop());

  async function signUp(): Promise<{ id: string; token: string; refresh: string; email: string }> {
    const email = unique('user');
    const created = await http(base, 'POST', '/api/v2/users', { body: { email, password: PASSWORD, display_name: 'Someone' } });
    expect(created.status).toBe(201);
    const login = await http(base, 'POST', '/api/v2/auth/login', { body: { email, password: PASSWORD } });
    return { id: created.body.id, token: login.body.access_token, refresh: login.body.refresh_token, email };
  }

  const status = (r: Reply) => r.status;
  const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields) });

  test('when an admin\'s API key holds only profile scopes, then it cannot read, change or delete another user; with users:* scopes it can', async () => {
    const victim = await signUp();
    const profileKey = (await http(base, 'POST', '/api/v2/api-keys', { token: adminToken, body: { name: 'profile only', scopes: ['profile:read', 'profile:write'] } })).body.key as string;
    expect(status(await http(base, 'GET', `/api/v2/users/${victim.id}`, { token: profileKey }))).toBe(404);
    expect(status(await http(base, 'PATCH', `/api/v2/users/${victim.id}`, { token: profileKey, body: { display_name: 'pwned' } }))).toBe(404);
    expect(status(await http(base, 'DELETE', `/api/v2/users/${victim.id}`, { token: profileKey }))).toBe(404);
    expect((await http(base, 'GET', '/api/v2/users/me', { token: victim.token })).body.display_name).toBe('Someone');

    const adminKey = (await http(base, 'POST', '/api/v2/api-keys', { token: adminToken, body: { name: 'user admin', scopes: ['users:read', 'users:write', 'profile:read', 'profile:write'] } })).body.key as string;
    expect((await http(base, 'GET', `/api/v2/users/${victim.id}`, { token: adminKey })).body.email).toBe(victim.email);
    expect((await http(base, 'PATCH', `/api/v2/users/${victim.id}`, { token: adminKey, body: { display_name: 'Renamed by support' } })).body.display_name).toBe('Renamed by support');
  });

  test('when a user changes their email, then it needs the current password, and every session of the account ends', async () => {
    const user = await signUp();
    const moved = unique('moved');
    expect(status(await http(base, 'PATCH', `/api/v2/users/${user.id}`, { token: user.token, body: { email: moved } }))).toBe(400);
    expect(status(await http(base, 'PATCH', `/api/v2/users/${user.id}`, { token: user.token, body: { email: moved, current_password: 'a guess of the thief' } }))).toBe(403);
    const changed = await http(base, 'PATCH', `/api/v2/users/${user.id}`, { token: user.token, body: { email: moved, current_password: PASSWORD } });
    expect(changed.body.email).toBe(moved);
    expect(status(await http(base, 'POST', '/api/v2/auth/refresh', { body: { refresh_token: user.refresh } }))).toBe(401);
    await eventually('the old access token to be refused', async () => ((await http(base, 'GET', '/api/v2/users/me', { token: user.token })).status === 401 ? true : undefined), 3_000);
    const again = await http(base, 'POST', '/api/v2/auth/login', { body: { email: moved, password: PASSWORD } });
    expect(status(await http(base, 'GET', '/api/v2/users/me', { token: again.body.access_token }))).toBe(200);
  });

  test('when a user logs out or is deleted, then their access tokens stop working within the revocation bound', async () => {
    const user = await signUp();
    const other = await http(base, 'POST', '/api/v2/auth/login', { body: { email: user.email, password: PASSWORD } });
    expect(status(await http(base, 'GET', '/api/v2/users/me', { token: user.token }))).toBe(200);
    expect(status(await http(base, 'POST', '/api/v2/auth/logout', { body: { refresh_token: user.refresh } }))).toBe(204);
    await eventually('the logged-out session\'s token to be refused', async () => ((await http(base, 'GET', '/api/v2/users/me', { token: user.token })).status === 401 ? true : undefined), 3_000);
    // Another session of the same account is not the one that logged out.
    expect(status(await http(base, 'GET', '/api/v2/users/me', { token: other.body.access_token }))).toBe(200);
    expect(status(await http(base, 'DELETE', `/api/v2/users/${user.id}`, { token: other.body.access_token }))).toBe(204);
    await eventually('the deleted account\'s token to be refused', async () => ((await http(base, 'GET', '/api/v2/orders', { token: other.body.access_token })).status === 401 ? true : undefined), 3_000);
  });

  test('when a user changes their password, then the current one is required, the new one must be strong, and every session ends', async () => {
    const user = await signUp();
    const change = (body: object) => http(base, 'POST', '/api/v2/users/me/password', { token: user.token, body });
    expect(status(await change({ current_password: 'a guess of the thief', new_password: 'a brand new long password' }))).toBe(403);
    const weak = await change({ current_password: PASSWORD, new_password: 'short' });
    expect([weak.status, weak.body.errors?.[0]?.pointer]).toEqual([400, '/new_password']);
    expect(status(await change({ current_password: PASSWORD, new_password: 'a brand new long password' }))).toBe(204);
    expect(status(await http(base, 'POST', '/api/v2/auth/refresh', { body: { refresh_token: user.refresh } }))).toBe(401);
    await eventually('the old session\'s token to be refused', async () => ((await http(base, 'GET', '/api/v2/users/me', { token: user.token })).status === 401 ? true : undefined), 3_000);
    expect(status(await http(base, 'POST', '/api/v2/auth/login', { body: { email: user.email, password: PASSWORD } }))).toBe(401);
    expect(status(await http(base, 'POST', '/api/v2/auth/login', { body: { email: user.email, password: 'a brand new long password' } }))).toBe(200);
  });

  test('when forged credentials keep coming from one address, then after the failure budget they get 429 without a lookup; keys with a bad checksum never reach the users service', async () => {
    const edge = await addQuotaEdge(stack, { RATE_LIMIT_AUTH_FAILURES: '5', RATE_LIMIT_ANONYMOUS: '5', RATE_LIMIT_PREFIX: `edge-fail-${Date.now()}:` });
    const url = stack.url(edge);
    const lookups = () => stack.metric(edge, 'grpc_client_started_total', { grpc_method: 'VerifyApiKey' });
    const badChecksum = `${mintSecret('tsk', '123').slice(0, -6)}AAAAAA`;
    expect(status(await http(url, 'GET', '/api/v2/orders', { token: badChecksum }))).toBe(401);
    expect(await lookups()).toBe(0);

    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push(status(await http(url, 'GET', '/api/v2/orders', { headers: { 'x-api-key': mintSecret('tsk', String(1_000 + i)) } })));
    // The bad-checksum key above was the first failure of the budget of 5.
    expect(statuses).toEqual([...Array(4).fill(401), ...Array(16).fill(429)]);
    expect(await lookups()).toBe(4);
    // Forged JWTs are refused the same way, before verification.
    const limited = await http(url, 'GET', '/api/v2/orders', { token: 'eyJhbGciOiJFUzI1NiJ9.e30.AAAA' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  test('when the rate-limit store is down, then login is still limited per address (per process), not open', async () => {
    const edge = stack.url(await addQuotaEdge(stack, { REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_AUTH: '3', RATE_LIMIT_PREFIX: `edge-auth-down-${Date.now()}:` }));
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push(status(await http(edge, 'POST', '/api/v2/auth/login', { body: { email: 'nobody@hardening.test', password: `guess ${i}` } })));
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });

  test('when one account\'s password is guessed from rotating addresses, then the account backs off (429 with Retry-After), even for the right password', async () => {
    const edge = stack.url(await stack.addEdge({ TRUST_PROXY: '1' }));
    const user = await signUp();
    for (let i = 0; i < 6; i++) {
      const res = await http(edge, 'POST', '/api/v2/auth/login', { body: { email: user.email, password: `guess ${i}` }, headers: { 'x-forwarded-for': `198.51.100.${i + 1}` } });
      expect(res.status).toBe(401);
    }
    const locked = await http(edge, 'POST', '/api/v2/auth/login', { body: { email: user.email, password: PASSWORD }, headers: { 'x-forwarded-for': '203.0.113.99' } });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  test('when ids, keys and refresh tokens carry numbers past 2^63-1, or cursors are oversized, then 4xx like any invalid input, never 500', async () => {
    const huge = '9999999999999999999';
    const user = await signUp();
    const invalidKey = await http(base, 'GET', '/api/v2/orders', { headers: { 'x-api-key': mintSecret('tsk', '12345') } });
    const hugeKey = await http(base, 'GET', '/api/v2/orders', { headers: { 'x-api-key': mintSecret('tsk', huge) } });
    expect([hugeKey.status, hugeKey.body.detail]).toEqual([invalidKey.status, invalidKey.body.detail]);
    expect(hugeKey.status).toBe(401);
    expect(status(await http(base, 'POST', '/api/v2/auth/refresh', { body: { refresh_token: mintSecret('trt', huge) } }))).toBe(401);
    expect(status(await http(base, 'POST', '/api/v2/auth/logout', { body: { refresh_token: mintSecret('trt', huge) } }))).toBe(204);
    const cursor = Buffer.from('99999999999999999999.99999999999999999999').toString('base64url');
    for (const path of [`/api/v2/orders?cursor=${cursor}`, `/api/v2/products?cursor=${cursor}`, `/api/v2/orders?cursor=${'A'.repeat(300)}`, `/api/v2/users/usr_${huge}`, `/api/v2/orders/ord_${huge}`, `/api/v1/orders/${huge}`]) {
      const res = await http(base, 'GET', path, { token: user.token });
      expect(`${path} ${res.status}`).toMatch(/ 4\d\d$/);
    }
  });

  test('when client credentials are malformed or wrong, then /oauth/token answers invalid_client the same way; a v1 client id (a bare number) gets a token', async () => {
    const created = await http(base, 'POST', '/api/v1/oauth-clients', { token: adminToken, body: { name: 'v1 warehouse', scopes: ['products:read'] } });
    expect(created.status).toBe(201);
    expect(String(created.body.client_id)).toMatch(/^\d+$/);
    const ok = await fetch(`${base}/oauth/token`, form({ grant_type: 'client_credentials', client_id: String(created.body.client_id), client_secret: created.body.client_secret }));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { access_token: string }).access_token).toBeTruthy();

    const answers = [];
    for (const init of [
      form({ grant_type: 'client_credentials', client_id: String(created.body.client_id), client_secret: 'wrong' }),
      form({ grant_type: 'client_credentials', client_id: `cli_${'9'.repeat(19)}`, client_secret: 'wrong' }),
      form({ grant_type: 'client_credentials', client_id: 'not-an-id', client_secret: 'wrong' }),
      form({ grant_type: 'client_credentials' }, { authorization: `Basic ${Buffer.from('%E0%A4%A:secret').toString('base64')}` }),
    ]) {
      const res = await fetch(`${base}/oauth/token`, init);
      const body = (await res.json()) as { error: string; error_description: string };
      answers.push([res.status, body.error, body.error_description]);
    }
    expect(answers).toEqual(Array(4).fill([401, 'invalid_client', 'client authentication failed']));
  });

  test('when TRUST_PROXY is one hop (ingress-nginx, a Gateway, kind\'s port mapping), then the client is the address that hop appended, not one the client wrote', async () => {
    const edge = stack.url(await addQuotaEdge(stack, { TRUST_PROXY: '1', RATE_LIMIT_ANONYMOUS: '2', RATE_LIMIT_PREFIX: `edge-xff-${Date.now()}:` }));
    const as = (xff: string) => http(edge, 'GET', '/api/v2/products', { headers: { 'x-forwarded-for': xff } }).then(status);
    // The client forges the leftmost entries; the proxy appends the address it saw (rightmost).
    expect([await as('10.0.0.1, 192.0.2.10'), await as('10.0.0.2, 192.0.2.10'), await as('10.0.0.3, 192.0.2.10')]).toEqual([200, 200, 429]);
    expect(await as('192.0.2.10, 192.0.2.11')).toBe(200);
  });

  test('when ENUMERATION_SAFE is on, then registering or moving to a taken email answers exactly like a free one', async () => {
    const edge = stack.url(await stack.addEdge({ ENUMERATION_SAFE: 'true' }));
    const taken = (await signUp()).email;
    const register = (address: string) => http(edge, 'POST', '/api/v2/users', { body: { email: address, password: PASSWORD, display_name: 'Probe' } });
    const [free, dup] = [await register(unique('free')), await register(taken)];
    expect([free.status, free.body]).toEqual([202, dup.body]);
    expect(dup.status).toBe(202);
    const mover = await signUp();
    const move = (address: string) => http(edge, 'PATCH', `/api/v2/users/${mover.id}`, { token: mover.token, body: { email: address, current_password: PASSWORD } });
    const [toTaken, toFree] = [await move(taken), await move(unique('fresh'))];
    expect([toTaken.status, toTaken.body]).toEqual([202, toFree.body]);
  });

  test('when the suite is over, then no request got a 5xx from any edge', async () => {
    expect(await stack.serverErrors()).toEqual([]);
  });
});
