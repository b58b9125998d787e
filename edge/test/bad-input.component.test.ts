import fc from 'fast-check';
import { http, ADMIN, startStack, type Stack } from './fixtures/stack';

interface Operation {
  method: string;
  path: string;
}

/**
 * Malformed input against every documented operation of both versions, on a
 * real platform: NUL characters (which Postgres cannot store) in every
 * place a string goes, then random JSON bodies, paths and queries
 * (fast-check). Nothing may answer 5xx, and every error is problem+json.
 */
describe('the REST edge under malformed input', () => {
  let stack: Stack;
  let base: string;
  let token: string;
  let operations: Operation[];

  beforeAll(async () => {
    stack = await startStack({ edgeEnv: { RATE_LIMIT_AUTH: '100000', RATE_LIMIT_ANONYMOUS: '100000', RATE_LIMIT_USER: '100000', RATE_LIMIT_AUTH_FAILURES: '100000', RATE_LIMIT_PREFIX: `edge-fuzz-${Date.now()}:` } });
    base = stack.url();
    const email = `fuzz-${Date.now()}@edge.test`;
    await http(base, 'POST', '/api/v2/users', { body: { email, password: 'a fuzzing password here', display_name: 'Fuzz' } });
    token = (await http(base, 'POST', '/api/v2/auth/login', { body: { email, password: 'a fuzzing password here' } })).body.access_token;
    operations = [];
    for (const version of ['v1', 'v2']) {
      const doc = (await http(base, 'GET', `/api/${version}/openapi.json`)).body as { paths: Record<string, Record<string, unknown>> };
      for (const [path, ops] of Object.entries(doc.paths)) for (const method of Object.keys(ops)) if (path.startsWith('/api/')) operations.push({ method: method.toUpperCase(), path });
    }
  }, 60_000);

  afterAll(() => stack.stop());

  async function expectNoServerError(method: string, path: string, options: Parameters<typeof http>[3]) {
    const res = await http(base, method, path, options);
    const what = `${method} ${path} ${JSON.stringify(options?.body ?? options?.raw ?? '').slice(0, 200)} → ${res.status}`;
    expect(`${what} ${res.status >= 500 ? 'server error' : 'ok'}`).toBe(`${what} ok`);
    if (res.status >= 400) expect(`${what} ${res.headers.get('content-type')}`).toMatch(/application\/problem\+json/);
  }

  const concrete = (path: string, value: string) => path.replace(/\{[^}]+\}/g, encodeURIComponent(value));

  test('when any string of a request holds a NUL character, then 4xx, never 5xx', async () => {
    const nul = 'bad\u0000value';
    expect(operations.length).toBeGreaterThanOrEqual(60);
    for (const op of operations) {
      const body = { email: `a${nul}@x.test`, password: `pw${nul}pw${nul}pw${nul}`, display_name: nul, name: nul, description: nul, q: nul, url: `https://x.test/${nul}`, refresh_token: nul, current_password: nul, new_password: nul, scopes: [nul], payment_method: nul, items: [{ product_id: nul, quantity: 1 }], events: [nul] };
      await expectNoServerError(op.method, concrete(op.path, nul), { token, ...(op.method === 'GET' ? {} : { body }) });
      await expectNoServerError(op.method, `${concrete(op.path, '1')}?q=${encodeURIComponent(nul)}&cursor=${encodeURIComponent(nul)}`, { token });
    }
    await expectNoServerError('POST', '/api/v2/auth/login', { body: { email: `admin${'\u0000'}@x.test`, password: ADMIN.password } });
  });

  test('when bodies, path ids and queries are random, then never 5xx and every error is problem+json', async () => {
    const jsonish = fc.oneof(fc.jsonValue(), fc.dictionary(fc.constantFrom('email', 'password', 'display_name', 'name', 'price', 'stock', 'items', 'payment_method', 'url', 'scopes', 'refresh_token', 'cursor', 'limit', 'events'), fc.jsonValue()));
    const segment = fc.oneof(fc.string(), fc.constantFrom('usr_9999999999999999999', 'ord_0', 'prd_-1', '99999999999999999999', '%00', '..', 'ord_1e5'));
    const query = fc.dictionary(fc.constantFrom('cursor', 'limit', 'offset', 'q', 'unread_only', 'status'), fc.string(), { maxKeys: 3 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...operations), jsonish, segment, query, fc.boolean(), async (op, body, id, q, signedIn) => {
        const path = `${concrete(op.path, id)}?${new URLSearchParams(q).toString()}`;
        await expectNoServerError(op.method, path, { ...(signedIn ? { token } : {}), ...(op.method === 'GET' || op.method === 'DELETE' ? {} : { raw: JSON.stringify(body) }) });
      }),
      { numRuns: 600 },
    );
  });

  test('when headers are too large or the request line is broken, then a problem+json answer, not a bare one', async () => {
    const big = await fetch(`${base}/api/v2/products`, { headers: { 'x-filler': 'x'.repeat(20_000) } });
    expect(big.status).toBe(431);
    expect(big.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(((await big.json()) as { status: number }).status).toBe(431);
  });

  test('when the suite is over, then no request got a 5xx from any edge', async () => {
    expect(await stack.serverErrors()).toEqual([]);
  });
});
