import fc from 'fast-check';
import { documentedOperations, malformedRequests, nulRequests, type MalformedRequest, type Operation } from '@tessera/testing';
import { http, ADMIN, startStack, type Stack } from './fixtures/stack';

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
    operations = await documentedOperations(base);
  }, 60_000);

  afterAll(() => stack.stop());

  async function expectNoServerError(method: string, path: string, options: Parameters<typeof http>[3]) {
    const res = await http(base, method, path, options);
    const what = `${method} ${path} ${JSON.stringify(options?.body ?? options?.raw ?? '').slice(0, 200)} → ${res.status}`;
    expect(`${what} ${res.status >= 500 ? 'server error' : 'ok'}`).toBe(`${what} ok`);
    if (res.status >= 400) expect(`${what} ${res.headers.get('content-type')}`).toMatch(/application\/problem\+json/);
  }

  const send = (r: MalformedRequest) => expectNoServerError(r.method, r.path, { ...(r.signedIn ? { token } : {}), ...(r.raw === undefined ? {} : { raw: r.raw }) });

  test('when any string of a request holds a NUL character, then 4xx, never 5xx', async () => {
    expect(operations.length).toBeGreaterThanOrEqual(60);
    for (const request of nulRequests(operations)) await send(request);
    await expectNoServerError('POST', '/api/v2/auth/login', { body: { email: `admin${'\u0000'}@x.test`, password: ADMIN.password } });
  });

  test('when bodies, path ids and queries are random, then never 5xx and every error is problem+json', async () => {
    await fc.assert(fc.asyncProperty(malformedRequests(operations), send), { numRuns: 600 });
  });

  test('when headers, the URL or the body are too large, then a problem+json answer, not a bare one', async () => {
    const big = await fetch(`${base}/api/v2/products`, { headers: { 'x-filler': 'x'.repeat(20_000) } });
    expect(big.status).toBe(431);
    expect(big.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(((await big.json()) as { status: number }).status).toBe(431);

    const longUrl = await fetch(`${base}/api/v2/products?q=${'x'.repeat(70_000)}`);
    expect([414, 431]).toContain(longUrl.status);
    expect(longUrl.headers.get('content-type')).toMatch(/application\/problem\+json/);

    const hugeBody = await fetch(`${base}/api/v2/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'a@b.test', password: 'x'.repeat(2_000_000) }) });
    expect(hugeBody.status).toBe(413);
    expect(hugeBody.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  test('when the suite is over, then no request got a 5xx from any edge', async () => {
    expect(await stack.serverErrors()).toEqual([]);
  });
});
