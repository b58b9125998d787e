import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import nodeHttp from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from '@tessera/testing';
import { ContractChecker } from './fixtures/contract';
import { addQuotaEdge, ADMIN, http, startStack, type Reply, type Stack } from './fixtures/stack';

type Version = 'v1' | 'v2';

/** A conditional GET by node:http: fetch adds Cache-Control: no-cache to those, which rules out a 304 by design. */
function conditionalGet(url: string, etag: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    nodeHttp
      .get(url, { headers: { 'if-none-match': etag } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
          resolve({ status: res.statusCode ?? 0, headers, body: undefined, text });
        });
      })
      .once('error', reject);
  });
}
const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'another long passphrase here';

/**
 * The contract: every operation of both OpenAPI documents is called against
 * the running edge, succeeding and failing, and every answer — status,
 * contract headers, body — is checked against the document it came from. An
 * undocumented status, header or field fails the test, as does an operation
 * never seen both succeeding and failing.
 */
describe('the REST edge against its OpenAPI documents', () => {
  let stack: Stack;
  let checker: ContractChecker;
  let adminToken: string;
  const broken: string[] = [];
  let seq = 0;

  beforeAll(async () => {
    stack = await startStack({ edgeEnv: { RATE_LIMIT_AUTH: '10000', RATE_LIMIT_ANONYMOUS: '10000', RATE_LIMIT_PREFIX: `edge-contract-${Date.now()}:` } });
    const docs = { v1: (await http(stack.url(), 'GET', '/api/v1/openapi.json')).body, v2: (await http(stack.url(), 'GET', '/api/v2/openapi.json')).body };
    checker = new ContractChecker(docs);
    adminToken = (await http(stack.url(), 'POST', '/api/v2/auth/login', { body: ADMIN })).body.access_token;
  }, 60_000);

  afterAll(() => stack.stop());
  beforeEach(() => {
    broken.length = 0;
  });

  interface Call {
    params?: Record<string, string>;
    query?: string;
    token?: string;
    body?: unknown;
    raw?: string;
    headers?: Record<string, string>;
    /** The status this call is meant to get. */
    expect?: number;
    edge?: number;
  }

  /** One call by its documented template, checked against the document(s) it belongs to. */
  async function call(docs: Version[], method: string, template: string, c: Call = {}): Promise<Reply> {
    const path = template.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(c.params?.[name] ?? ''));
    const reply = await http(stack.url(c.edge), method, `${path}${c.query ? `?${c.query}` : ''}`, { token: c.token, body: c.body, raw: c.raw, headers: c.headers });
    for (const doc of docs) broken.push(...checker.check(doc, method, template, reply));
    if (c.expect !== undefined && reply.status !== c.expect) broken.push(`${method} ${path}: expected ${c.expect}, got ${reply.status} ${reply.text.slice(0, 300)}`);
    return reply;
  }
  const api = (v: Version) => (method: string, path: string, c: Call = {}) => call([v], method, `/api/${v}${path}`, c);

  test('both documents are valid OpenAPI 3.1, every $ref resolving', async () => {
    // @seriousme/openapi-schema-validator is ESM-only: run its CLI rather than load it into Jest's CommonJS.
    const cli = path.join(path.dirname(require.resolve('@seriousme/openapi-schema-validator/package.json')), 'bin/validate-api-cli.js');
    const dir = mkdtempSync(path.join(tmpdir(), 'tessera-openapi-'));
    for (const v of ['v1', 'v2'] as const) {
      const file = path.join(dir, `${v}.json`);
      writeFileSync(file, (await http(stack.url(), 'GET', `/api/${v}/openapi.json`)).text);
      let out: string;
      try {
        out = execFileSync(process.execPath, [cli, file], { encoding: 'utf8' });
      } catch (error) {
        out = String((error as { stdout?: string }).stdout ?? error);
      }
      expect({ v, result: JSON.parse(out) }).toEqual({ v, result: { valid: true } });
    }
  });

  test.each(['v1', 'v2'] as const)('the %s OAuth scheme offers exactly the scopes its operations ask machine clients for', async (v) => {
    const doc = (await http(stack.url(), 'GET', `/api/${v}/openapi.json`)).body;
    const operations = Object.values(doc.paths as Record<string, Record<string, { security?: Record<string, string[]>[] }>>).flatMap((ops) => Object.values(ops));
    const asked = new Set(operations.flatMap((op) => (op.security ?? []).flatMap((s) => s.oauth ?? [])));
    expect(asked.size).toBeGreaterThan(0);
    expect(Object.keys(doc.components.securitySchemes.oauth.flows.clientCredentials.scopes).sort()).toEqual([...asked].sort());
  });

  test.each(['v2', 'v1'] as const)('every %s operation answers as documented, succeeding', async (v) => {
    const a = api(v);
    const email = `contract-${v}-${Date.now()}@edge.test`;
    const user = (await a('POST', '/users', { body: { email, password: PASSWORD, display_name: 'Contract' }, expect: 201 })).body;
    const login = (await a('POST', '/auth/login', { body: { email, password: PASSWORD }, expect: 200 })).body;
    const token: string = login.access_token;
    await a('GET', '/users/me', { token, expect: 200 });
    await a('GET', '/users/{id}', { token, params: { id: user.id }, expect: 200 });
    await a('PATCH', '/users/{id}', { token, params: { id: user.id }, body: { display_name: 'Renamed' }, expect: 200 });
    const refreshed = (await a('POST', '/auth/refresh', { body: { refresh_token: login.refresh_token }, expect: 200 })).body;
    await a('GET', '/users', { token: adminToken, query: 'limit=2', expect: 200 });

    const price = v === 'v2' ? { amount_minor: 1250, currency: 'USD' } : { amount: '12.50', currency: 'USD' };
    const product = (await a('POST', '/products', { token: adminToken, body: { name: `Contract ${v}`, description: 'checked', price, stock: 50 }, expect: 201 })).body;
    const read = await a('GET', '/products/{id}', { params: { id: product.id }, expect: 200 });
    const notModified = await conditionalGet(`${stack.url()}/api/${v}/products/${product.id}`, read.headers.get('etag') ?? '');
    expect(notModified.status).toBe(304);
    broken.push(...checker.check(v, 'GET', `/api/${v}/products/{id}`, notModified));
    await a('GET', '/products', { query: 'limit=2', expect: 200 });
    await a('PATCH', '/products/{id}', { token: adminToken, params: { id: product.id }, body: { stock: 40 }, expect: 200 });

    const key = `contract-${v}-${seq++}-${Date.now()}`;
    const orderBody = { items: [{ product_id: product.id, quantity: 1 }], payment_method: 'pm_card_ok' };
    const order = (await a('POST', '/orders', { token, headers: { 'idempotency-key': key }, body: orderBody, expect: 201 })).body;
    await a('POST', '/orders', { token, headers: { 'idempotency-key': key }, body: orderBody, expect: 200 });
    await a('GET', '/orders', { token, expect: 200 });
    await a('GET', '/orders/{id}', { token, params: { id: order.id }, expect: 200 });
    await a('GET', '/orders/{id}/payments', { token, params: { id: order.id }, expect: 200 });
    await a('POST', '/orders/{id}/cancel', { token, params: { id: order.id }, expect: 200 });
    const note = await eventually('a notification', async () => (await a('GET', '/notifications', { token, expect: 200 })).body.data?.[0]);
    await a('POST', '/notifications/{id}/read', { token, params: { id: note.id }, expect: 200 });

    const hook = (await a('POST', '/webhooks', { token, body: { url: 'http://127.0.0.1:9/hook', event_types: ['order.paid'] }, expect: 201 })).body;
    await a('GET', '/webhooks', { token, expect: 200 });
    await a('DELETE', '/webhooks/{id}', { token, params: { id: hook.id }, expect: 204 });

    const apiKey = (await a('POST', '/api-keys', { token, body: { name: 'contract', scopes: ['orders:read'] }, expect: 201 })).body;
    await a('GET', '/api-keys', { token, expect: 200 });
    await a('GET', '/orders', { headers: { 'x-api-key': apiKey.key }, expect: 200 });
    await a('DELETE', '/api-keys/{id}', { token, params: { id: apiKey.id }, expect: 204 });

    const client = (await a('POST', '/oauth-clients', { token: adminToken, body: { name: `contract ${v}`, scopes: ['products:write'] }, expect: 201 })).body;
    await a('GET', '/oauth-clients', { token: adminToken, expect: 200 });
    const form = `grant_type=client_credentials&client_id=${encodeURIComponent(client.client_id)}&client_secret=${encodeURIComponent(client.client_secret)}`;
    const issued = await call(['v1', 'v2'], 'POST', '/oauth/token', { raw: form, headers: { 'content-type': 'application/x-www-form-urlencoded' }, expect: 200 });
    // A machine client's token where the route allows clients.
    await a('PATCH', '/products/{id}', { token: issued.body.access_token, params: { id: product.id }, body: { stock: 30 }, expect: 200 });
    await a('DELETE', '/oauth-clients/{id}', { token: adminToken, params: { id: client.client_id }, expect: 204 });
    await a('DELETE', '/products/{id}', { token: adminToken, params: { id: product.id }, expect: 204 });

    await a('POST', '/users/me/password', { token, body: { current_password: PASSWORD, new_password: NEW_PASSWORD }, expect: 204 });
    await a('POST', '/auth/logout', { body: { refresh_token: refreshed.refresh_token }, expect: 204 });
    const again = (await a('POST', '/auth/login', { body: { email, password: NEW_PASSWORD }, expect: 200 })).body;
    await a('DELETE', '/users/{id}', { token: again.access_token, params: { id: user.id }, expect: 204 });

    for (const path of ['/healthz', '/readyz', '/.well-known/jwks.json', '/docs']) await call(['v1', 'v2'], 'GET', path, { expect: 200 });
    await call([v], 'GET', `/api/${v}/openapi.json`, { expect: 200 });
    expect(broken).toEqual([]);
  });

  test.each(['v2', 'v1'] as const)('every %s operation answers as documented, failing', async (v) => {
    const a = api(v);
    // Each operation refused once: without credentials where it needs them, else with input it cannot take.
    const doc = (await http(stack.url(), 'GET', `/api/${v}/openapi.json`)).body;
    for (const [template, operations] of Object.entries(doc.paths as Record<string, Record<string, { security: unknown[]; requestBody?: unknown; parameters?: { in: string }[] }>>)) {
      if (!template.startsWith(`/api/${v}/`) || template.endsWith('openapi.json')) continue;
      for (const [method, op] of Object.entries(operations)) {
        const params = { id: 'not-an-id' };
        const m = method.toUpperCase(); // fetch sends "patch" as written
        if (op.security.length > 0) await call([v], m, template, { params, expect: 401 });
        else if (op.requestBody) await call([v], m, template, { params, body: { unexpected: true }, expect: 400 });
        else if (template.includes('{id}')) await call([v], m, template, { params, expect: 400 });
        else await call([v], m, template, { query: 'limit=abc', expect: 400 });
      }
    }

    // And the errors a client must handle, each where it belongs.
    const email = `contract-fail-${v}-${Date.now()}@edge.test`;
    await a('POST', '/users', { body: { email, password: PASSWORD, display_name: 'Fails' }, expect: 201 });
    await a('POST', '/users', { body: { email, password: PASSWORD, display_name: 'Twice' }, expect: 409 });
    await a('POST', '/users', { body: { email: `short-${email}`, password: 'short', display_name: 'x' }, expect: 400 });
    await a('POST', '/auth/login', { body: { email, password: 'wrong password, long enough' }, expect: 401 });
    const token = (await a('POST', '/auth/login', { body: { email, password: PASSWORD }, expect: 200 })).body.access_token;
    await a('GET', '/users', { token, expect: 403 });
    await a('GET', '/orders/{id}', { token, params: { id: v === 'v2' ? 'ord_12345' : '12345' }, expect: 404 });
    await a('GET', '/products/{id}', { params: { id: v === 'v2' ? 'prd_12345' : '12345' }, expect: 404 });
    await a('POST', '/orders', { token, body: { items: [{ product_id: v === 'v2' ? 'prd_1' : '1', quantity: 1 }], payment_method: 'pm_card_ok' }, expect: 428 });
    await a('POST', '/products', { token: adminToken, raw: 'name=x', headers: { 'content-type': 'text/plain' }, expect: 415 });
    await a('POST', '/products', { token: adminToken, raw: JSON.stringify({ name: 'x'.repeat(2_000_000) }), expect: 413 });
    const price = v === 'v2' ? { amount_minor: 100, currency: 'USD' } : { amount: '1.00', currency: 'USD' };
    const product = (await a('POST', '/products', { token: adminToken, body: { name: 'Fail', description: '', price, stock: 5 }, expect: 201 })).body;
    const key = `contract-fail-${v}-${Date.now()}`;
    await a('POST', '/orders', { token, headers: { 'idempotency-key': key }, body: { items: [{ product_id: product.id, quantity: 1 }], payment_method: 'pm_card_ok' }, expect: 201 });
    await a('POST', '/orders', { token, headers: { 'idempotency-key': key }, body: { items: [{ product_id: product.id, quantity: 2 }], payment_method: 'pm_card_ok' }, expect: 422 });
    await a('POST', '/orders', { token, headers: { 'idempotency-key': `${key}-2` }, body: { items: [{ product_id: product.id, quantity: 1 }], payment_method: 'card' }, expect: 400 });
    // An order the catalog cannot fill is refused as a whole, named by field, and leaves no order behind;
    // its key is free again for the corrected request.
    const missing = await a('POST', '/orders', { token, headers: { 'idempotency-key': `${key}-3` }, body: { items: [{ product_id: v === 'v2' ? 'prd_12345' : '12345', quantity: 1 }], payment_method: 'pm_card_ok' }, expect: 400 });
    expect([missing.body.detail, missing.body.errors.map((e: { pointer: string }) => e.pointer)]).toEqual(['unknown product', ['/items/0/product_id']]);
    const tooMany = await a('POST', '/orders', { token, headers: { 'idempotency-key': `${key}-4` }, body: { items: [{ product_id: product.id, quantity: 50 }], payment_method: 'pm_card_ok' }, expect: 400 });
    expect([tooMany.body.detail, tooMany.body.errors.map((e: { pointer: string }) => e.pointer)]).toEqual(['not enough stock', ['/items/0/quantity']]);
    // (Read from a replica a second behind: it may still show a refused order's row for a moment.)
    await eventually('the refused orders to be gone', async () => ((await a('GET', '/orders', { token, expect: 200 })).body.data.length === 1 ? true : undefined));
    await a('POST', '/orders', { token, headers: { 'idempotency-key': `${key}-4` }, body: { items: [{ product_id: product.id, quantity: 1 }], payment_method: 'pm_card_ok' }, expect: 201 });
    // Field errors point at what the client sent, not at the services' gRPC fields.
    const pointers = async (path: string, c: Call) => ((await a(c.body === undefined ? 'GET' : 'POST', path, { ...c, expect: 400 })).body?.errors ?? []).map((e: { pointer: string }) => e.pointer);
    expect(await pointers('/orders', { token, query: 'cursor=bogus' })).toEqual(v === 'v2' ? ['/query/cursor'] : ['/query']);
    expect(await pointers('/products', { query: 'min_price=500&max_price=100' })).toEqual(['/query/min_price']);
    expect(await pointers('/api-keys', { token, body: { name: 'past', scopes: ['orders:read'], expires_at: '2001-01-01T00:00:00Z' } })).toEqual(['/expires_at']);
    if (v === 'v1') expect(await pointers('/products', { token: adminToken, body: { name: 'Free', price: { amount: '0.00', currency: 'USD' }, stock: 1 } })).toEqual(['/price/amount']);
    await call(['v1', 'v2'], 'POST', '/oauth/token', { raw: 'grant_type=password', headers: { 'content-type': 'application/x-www-form-urlencoded' }, expect: 400 });
    await call(['v1', 'v2'], 'POST', '/oauth/token', { raw: 'grant_type=client_credentials&client_id=cli_1&client_secret=nope', headers: { 'content-type': 'application/x-www-form-urlencoded' }, expect: 401 });

    // Over a quota: 429 with Retry-After, as documented.
    const limited = await addQuotaEdge(stack, { RATE_LIMIT_ANONYMOUS: '1', RATE_LIMIT_PREFIX: `edge-contract-429-${v}-${Date.now()}:` });
    await a('GET', '/products', { edge: limited, expect: 200 });
    await a('GET', '/products', { edge: limited, expect: 429 });
    expect(broken).toEqual([]);
  });

  test('when ENUMERATION_SAFE is on, then registering answers 202 as that edge documents', async () => {
    const edge = await stack.addEdge({ ENUMERATION_SAFE: 'true' });
    const safe = new ContractChecker({ v2: (await http(stack.url(edge), 'GET', '/api/v2/openapi.json')).body });
    const email = `contract-safe-${Date.now()}@edge.test`;
    for (const _ of [1, 2]) {
      const reply = await http(stack.url(edge), 'POST', '/api/v2/users', { body: { email, password: PASSWORD, display_name: 'Safe' } });
      expect(reply.status).toBe(202);
      expect(safe.check('v2', 'POST', '/api/v2/users', reply)).toEqual([]);
    }
  });

  test('every operation of both documents was seen succeeding and (on the API) failing', () => {
    const missing: string[] = [];
    for (const v of ['v1', 'v2'] as const) {
      for (const op of checker.operations(v)) {
        const statuses = [...(checker.seen.get(op) ?? [])];
        if (!statuses.some((s) => s < 400)) missing.push(`${op}: never succeeded`);
        if (op.includes('/api/') && !op.endsWith('openapi.json') && !statuses.some((s) => s >= 400 && s < 500)) missing.push(`${op}: never failed`);
      }
    }
    expect(missing).toEqual([]);
  });
});
