import { ADMIN, http, startStack, type Stack } from './fixtures/stack';

/** Load shedding at the edge, with the limit pinned small so the test can fill it. */
describe('the REST edge shedding load', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ edgeEnv: { ADMISSION_LIMIT_MIN: '2', ADMISSION_LIMIT_MAX: '2', RATE_LIMIT_ANONYMOUS: '100000', RATE_LIMIT_AUTH: '100000', RATE_LIMIT_PREFIX: `edge-shed-${Date.now()}:` } });
  }, 60_000);

  afterAll(() => stack.stop());

  test('when more requests arrive than the limit admits, then the excess gets 503 problem+json with Retry-After at once, sign-in keeps headroom, and probes are never shed', async () => {
    const base = stack.url();
    const burst = await Promise.all(Array.from({ length: 30 }, () => http(base, 'GET', '/api/v2/products?limit=50')));
    const shed = burst.filter((r) => r.status === 503);
    expect(burst.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    expect(shed.length).toBeGreaterThan(0);
    for (const r of shed) {
      expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.body.detail).toBe('the service is busy; try again shortly');
    }
    expect(burst.every((r) => r.status === 200 || r.status === 503)).toBe(true);

    // Three sign-ins at once fit the critical headroom (1.5 × 2) where three ordinary requests would not.
    const logins = await Promise.all([1, 2, 3].map(() => http(base, 'POST', '/api/v2/auth/login', { body: ADMIN })));
    expect(logins.map((r) => r.status)).toEqual([200, 200, 200]);
    const probes = await Promise.all(Array.from({ length: 10 }, () => http(base, 'GET', '/healthz')));
    expect(probes.every((r) => r.status === 200)).toBe(true);

    const metrics = await (await fetch(`http://127.0.0.1:${stack.edges[0]!.metricsPort}/metrics`)).text();
    expect(Number(/^http_requests_shed_total\{priority="normal"\} (\d+)/m.exec(metrics)?.[1])).toBe(shed.length);
    expect(metrics).toMatch(/^http_admission_limit 2$/m);
  });
});
