import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from '@tessera/testing';
import { startPlatform, type Platform } from '../scripts/runner/platform';
import { LOCAL_NAMESPACE, startPrometheus, type RunningPrometheus } from '../scripts/runner/prometheus';

const ROOT = path.resolve(__dirname, '..');
const DASHBOARDS = path.join(ROOT, 'helm', 'tessera', 'dashboards');

interface Dashboard {
  title: string;
  panels: { title: string; targets: { expr: string }[] }[];
  templating: { list: { name: string; query?: string | { query: string } }[] };
}

/**
 * The chart's dashboards against a real Prometheus (Debian's `prometheus`,
 * which CI installs) scraping the real platform with the labels the chart's
 * monitors would add, after a short load that includes errors, refusals and
 * 429s. Every panel query must return data: a panel that says "No data" on a
 * healthy, busy platform is a broken panel.
 */
describe('the dashboards on a real Prometheus', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-dashboards-'));
  chmodSync(dir, 0o755);
  let platform: Platform;
  let prometheus: RunningPrometheus;
  let receiver: Server;
  const hooks: string[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hooks.push(body);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    // A low anonymous quota, so the load below meets the rate limit.
    platform = await startPlatform(
      { port: 0, grpcPort: 0, dataDir: path.join(dir, 'platform'), fresh: true, replicaDelayMs: 0, redisCluster: false, host: '127.0.0.1', bundles: false, monolith: false, monitoring: false },
      { report: () => undefined, env: { LOG_LEVEL: 'warn', RATE_LIMIT_ANONYMOUS: '40' } },
    );
    prometheus = await startPrometheus({ dir: path.join(dir, 'prometheus'), scrapeIntervalS: 1, targets: platform.supervisor.status().map((s) => ({ name: s.name, metricsPort: s.metricsPort! })) });
  }, 180_000);

  afterAll(async () => {
    await prometheus?.stop();
    await platform?.stop();
    await new Promise((r) => receiver.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (method: string, url: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) => {
    const res = await fetch(`${platform.edgeUrl}${url}`, {
      method,
      headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...(options.body ? { 'content-type': 'application/json' } : {}), ...options.headers },
      ...(options.body ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
  };

  const query = async (expr: string): Promise<{ status: string; error?: string; data?: { result: unknown[] } }> =>
    (await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`)).json() as Promise<{ status: string; error?: string; data?: { result: unknown[] } }>;

  test('when the platform has served a mix with errors and 429s, then every panel of every dashboard returns data, and its variables have values', async () => {
    // Sign up, browse (past the anonymous quota), order, get a webhook, cancel, and fail a few ways.
    const email = `dashboards-${Date.now()}@tessera.local`;
    expect((await call('POST', '/api/v2/users', { body: { email, password: 'correct horse battery staple', display_name: 'Dashboards' } })).status).toBe(201);
    const token = (await call('POST', '/api/v2/auth/login', { body: { email, password: 'correct horse battery staple' } })).body.access_token as string;
    const product = ((await call('GET', '/api/v2/products?limit=1', { token })).body.data as { id: string }[])[0]!.id;
    // Anonymous refusals first: the anonymous quota is spent just below.
    expect((await call('GET', '/api/v2/orders/ord_1')).status).toBe(401);
    const statuses: number[] = [];
    // Until refused: should the minute-long window end mid-count, the next one's quota runs out too.
    while (!statuses.includes(429) && statuses.length < 100) statuses.push((await call('GET', `/api/v2/products/${product}`)).status);
    expect(statuses).toContain(429);
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    expect((await call('POST', '/api/v2/webhooks', { token, body: { url: hookUrl, event_types: ['order.paid', 'order.cancelled'] } })).status).toBe(201);
    const orders: string[] = [];
    for (let i = 0; i < 3; i++) {
      const order = await call('POST', '/api/v2/orders', { token, headers: { 'idempotency-key': `dashboards-${Date.now()}-${i}` }, body: { items: [{ product_id: product, quantity: 1 }], payment_method: 'pm_card_ok' } });
      expect(order.status).toBe(201);
      orders.push(order.body.id as string);
    }
    expect((await call('POST', `/api/v2/orders/${orders[0]}/cancel`, { token })).status).toBe(200);
    expect((await call('GET', '/api/v2/orders/ord_1', { token })).status).toBe(404);
    expect((await call('GET', `/api/v2/orders/${orders[1]}`, { token })).status).toBe(200);
    await eventually('a webhook delivery', async () => (hooks.length > 0 ? true : undefined), 20_000);
    // Enough scrapes after the traffic for every rate() to have two samples of it.
    await eventually('Prometheus to have scraped every process since', async () => {
      const up = await query('count(up == 1) and count(count_over_time(up[5s]) >= 3)');
      return up.data?.result.length ? true : undefined;
    }, 20_000);
    await new Promise((r) => setTimeout(r, 3_000));

    const dashboards = readdirSync(DASHBOARDS).map((f) => JSON.parse(readFileSync(path.join(DASHBOARDS, f), 'utf8')) as Dashboard);
    expect(dashboards.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const d of dashboards) {
      // Grafana's variables as a user would pick them: this namespace, every job.
      const filled = (expr: string) => expr.replaceAll('$namespace', LOCAL_NAMESPACE).replaceAll('$job', '.*');
      for (const p of d.panels) {
        for (const t of p.targets) {
          const answer = await query(filled(t.expr));
          if (answer.status !== 'success') problems.push(`${d.title} / ${p.title}: ${answer.error}`);
          else if (answer.data!.result.length === 0) problems.push(`${d.title} / ${p.title}: no data for ${filled(t.expr)}`);
        }
      }
      // label_values(metric{…}, label): the variable's choices exist.
      for (const v of d.templating.list) {
        const q = typeof v.query === 'string' ? v.query : v.query?.query;
        const m = q ? /^label_values\((.+), (\w+)\)$/.exec(q) : null;
        if (!m) continue;
        const values = await query(`count by (${m[2]}) (${filled(m[1]!)})`);
        if (!values.data?.result.length) problems.push(`${d.title}: variable ${v.name} has no values (${q})`);
      }
    }
    expect(problems).toEqual([]);
  }, 120_000);
});
