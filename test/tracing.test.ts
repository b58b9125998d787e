import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from '@tessera/testing';
import { startPlatform, type Platform } from '../scripts/runner/platform';

interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
}

/** OTLP/JSON ids are hex (the spec); accept base64 too, as some exporters send it. */
const hex = (id: string | undefined) => (!id ? '' : /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex'));

/**
 * One order through the real platform with tracing on: every process exports
 * over OTLP/HTTP to a receiver in this test, and the order's spans must form
 * one connected trace (one root, every parent present) through the edge,
 * orders, catalog and payments, with the SQL queries and Redis commands under
 * the calls that made them.
 */
describe('tracing', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-tracing-'));
  chmodSync(dir, 0o755);
  const spans: ReceivedSpan[] = [];
  let receiver: Server;
  let platform: Platform;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url === '/v1/traces' && req.headers['content-type']?.includes('json')) {
          const payload = JSON.parse(body) as { resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: { traceId: string; spanId: string; parentSpanId?: string; name: string }[] }[] }[] };
          for (const rs of payload.resourceSpans) {
            const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
            for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ service, traceId: hex(s.traceId), spanId: hex(s.spanId), parentSpanId: hex(s.parentSpanId), name: s.name });
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    platform = await startPlatform(
      { port: 0, grpcPort: 0, dataDir: path.join(dir, 'platform'), fresh: true, replicaDelayMs: 0, redisCluster: false, host: '127.0.0.1', bundles: false, monolith: false, monitoring: false },
      { report: () => undefined, env: { LOG_LEVEL: 'warn', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } },
    );
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
    await new Promise((r) => receiver.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  test('when an order is placed, then its spans form one connected trace through edge, orders, catalog and payments, with SQL and Redis spans inside', async () => {
    const base = platform.edgeUrl;
    const json = async (method: string, url: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) => {
      const res = await fetch(`${base}${url}`, { method, headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...(options.body ? { 'content-type': 'application/json' } : {}), ...options.headers }, ...(options.body ? { body: JSON.stringify(options.body) } : {}) });
      return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
    };
    const email = `tracing-${Date.now()}@tessera.local`;
    await json('POST', '/api/v2/users', { body: { email, password: 'correct horse battery staple', display_name: 'Tracing' } });
    const token = (await json('POST', '/api/v2/auth/login', { body: { email, password: 'correct horse battery staple' } })).body.access_token as string;
    const product = ((await json('GET', '/api/v2/products?limit=1')).body.data as { id: string }[])[0]!.id;
    // The caller's own trace: the order's spans must continue it.
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const order = await json('POST', '/api/v2/orders', { token, headers: { 'idempotency-key': `tracing-${Date.now()}`, traceparent: `00-${traceId}-00f067aa0ba902b7-01` }, body: { items: [{ product_id: product, quantity: 1 }], payment_method: 'pm_card_ok' } });
    expect(order.status).toBe(201);

    const trace = await eventually('the order\'s spans from every process', async () => {
      const mine = spans.filter((s) => s.traceId === traceId);
      const services = new Set(mine.map((s) => s.service));
      return ['edge', 'orders', 'catalog', 'payments'].every((s) => services.has(s)) && mine.some((s) => s.name.startsWith('SQL ')) ? mine : undefined;
    }, 30_000);
    // Connected: exactly one span hangs from the caller's span, and every other span's parent is in the trace.
    const ids = new Set(trace.map((s) => s.spanId));
    const roots = trace.filter((s) => !ids.has(s.parentSpanId));
    expect(roots.map((s) => `${s.service} ${s.name} ← ${s.parentSpanId}`)).toEqual(['edge POST /api/v2/orders ← 00f067aa0ba902b7']);
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const parentOf = (s: ReceivedSpan) => byId.get(s.parentSpanId);
    // Each service's call hangs from its caller's: orders from the edge, catalog and payments from orders.
    const call = (service: string, method: string) => trace.find((s) => s.service === service && s.name.endsWith(`/${method}`))!;
    expect(parentOf(call('orders', 'CreateOrder'))?.service).toBe('edge');
    expect(parentOf(call('catalog', 'ReserveStock'))?.service).toBe('orders');
    expect(parentOf(call('payments', 'AuthorizePayment'))?.service).toBe('orders');
    // Queries and cache commands sit under the call of the process that made them.
    const sql = trace.filter((s) => s.name.startsWith('SQL '));
    expect(sql.length).toBeGreaterThan(2);
    for (const s of sql) expect(`${s.name} under ${parentOf(s)?.service}`).toBe(`${s.name} under ${s.service}`);
  }, 60_000);

  test('when a product is read through the cache, then its Redis commands are spans of the catalog call', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const product = ((await (await fetch(`${platform.edgeUrl}/api/v2/products?limit=1`)).json()) as { data: { id: string }[] }).data[0]!.id;
    // A fresh id per product read would be cached at the edge; an unknown one goes through to catalog and its cache.
    await fetch(`${platform.edgeUrl}/api/v2/products/${product.replace(/\d$/, (d) => String((Number(d) + 1) % 10))}`, { headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } });
    const redis = await eventually('a Redis span in the product read', async () => {
      const found = spans.filter((s) => s.traceId === traceId && s.name.startsWith('redis '));
      return found.length ? found : undefined;
    }, 30_000);
    const byId = new Map(spans.filter((s) => s.traceId === traceId).map((s) => [s.spanId, s]));
    // The edge coalesces product reads (GetProduct or BatchGetProducts): either way, a catalog call.
    expect(redis.map((s) => byId.get(s.parentSpanId)?.name?.replace(/\/(Batch)?GetProducts?$/, '/…'))).toEqual(redis.map(() => 'tessera.catalog.v1.CatalogService/…'));
  }, 60_000);
});
