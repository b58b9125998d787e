/**
 * `npm run load -- --duration 30s --connections 16 [--rate 200] [--url http://localhost:8080]`
 *
 * A realistic mix against a running edge: browse and search products, read
 * one, read your profile, place orders with Idempotency-Keys (some with a
 * declining card), list orders and notifications. Each connection is a
 * signed-up user. Prints requests/s and p50/p95/p99 per route and errors by
 * status, and writes the same as JSON and Markdown for comparing runs.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { tesseraClient, type TesseraClient } from '@tessera/api-client';
import { percentile } from '../percentile';

interface Sample {
  route: string;
  ms: number;
  status: number;
}

function duration(text: string): number {
  const m = /^(\d+)(ms|s|m)?$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text} (try 30s)`);
  return Number(m[1]) * ({ ms: 1, s: 1_000, m: 60_000 }[m[2] ?? 's'] as number);
}

const USAGE = `usage: npm run load -- [options]

  --duration D       how long to run: 30s (default), 2m, 500ms
  --connections N    concurrent users, each signed up for the run (default 16)
  --rate R           requests per second in all (default: as fast as they go)
  --data-dir DIR     the folder \`npm start\` uses (default .tessera): admin
                     credentials from secrets.json, the edge's address from status.json
  --url URL          the edge (default: the address in status.json, else http://localhost:8080)
  --out DIR          where reports go (default <data-dir>/load)
  --help             this text
`;

function parseOptions() {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      options: { url: { type: 'string' }, duration: { type: 'string' }, connections: { type: 'string' }, rate: { type: 'string' }, 'data-dir': { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } },
    }).values;
  } catch (error) {
    // Unknown or malformed flags: one clear line and the usage, not a stack trace.
    process.stderr.write(`npm run load: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}

const values = parseOptions();
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const dataDir = path.resolve(values['data-dir'] ?? '.tessera');

/** Where `npm start` said its edge listens (it may not be :8080: `--port`, or a second runner). */
function runnerEdge(): string | undefined {
  try {
    return (JSON.parse(readFileSync(path.join(dataDir, 'status.json'), 'utf8')) as { edge?: string }).edge;
  } catch {
    return undefined;
  }
}

const base = (values.url ?? process.env.TESSERA_URL ?? runnerEdge() ?? 'http://localhost:8080').replace(/\/$/, '');
let durationMs: number;
try {
  durationMs = duration(values.duration ?? '30s');
} catch (error) {
  process.stderr.write(`npm run load: ${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
const connections = Number(values.connections ?? 16);
const rate = Number(values.rate ?? 0);
const outDir = path.resolve(values.out ?? path.join(dataDir, 'load'));

const samples: Sample[] = [];
let declines = 0;

/** Times one call of the typed client: its route, latency and status (0 when nothing answered). */
async function timed<T extends { response: Response }>(route: string, request: () => Promise<T>): Promise<T | undefined> {
  const started = performance.now();
  try {
    const result = await request();
    samples.push({ route, ms: performance.now() - started, status: result.response.status });
    return result;
  } catch {
    samples.push({ route, ms: performance.now() - started, status: 0 });
    return undefined;
  }
}

async function setup(): Promise<{ users: TesseraClient[]; products: string[] }> {
  const secretsFile = path.join(dataDir, 'secrets.json');
  if (!existsSync(secretsFile)) throw new Error(`no ${secretsFile}: run \`npm start\` first (or pass --data-dir)`);
  const secrets = JSON.parse(readFileSync(secretsFile, 'utf8')) as { adminEmail: string; adminPassword: string };
  const anonymous = tesseraClient(base);
  const admin = await timed('setup', () => anonymous.POST('/api/v2/auth/login', { body: { email: secrets.adminEmail, password: secrets.adminPassword } }));
  if (!admin) throw new Error(`nothing answers at ${base}: start Tessera with \`npm start\`, or pass --url (and --data-dir if it uses another folder)`);
  if (!admin.data) throw new Error(`admin login failed (${admin.response.status}) at ${base}: is this the Tessera started from ${dataDir}?`);
  const asAdmin = tesseraClient(base, { token: admin.data.access_token });
  const products: string[] = [];
  for (let i = 0; i < 10; i++) {
    const p = await timed('setup', () => asAdmin.POST('/api/v2/products', { body: { name: `Load test item ${i}`, description: 'plenty in stock', price: { amount_minor: 500 + i * 100, currency: 'USD' }, stock: 10_000_000 } }));
    if (!p?.data) throw new Error(`could not create the load products (${p?.response.status ?? 'no answer'})`);
    products.push(p.data.id);
  }
  const users: TesseraClient[] = [];
  const run = randomUUID().slice(0, 8);
  for (let i = 0; i < connections; i++) {
    const email = `load-${run}-${i}@tessera.local`;
    await timed('setup', () => anonymous.POST('/api/v2/users', { body: { email, password: 'correct horse battery staple', display_name: `Load ${i}` } }));
    const login = await timed('setup', () => anonymous.POST('/api/v2/auth/login', { body: { email, password: 'correct horse battery staple' } }));
    if (!login?.data) throw new Error(`could not sign up load users (${login?.response.status ?? 'no answer'}); the registration limit may be too low`);
    users.push(tesseraClient(base, { token: login.data.access_token }));
  }
  samples.length = 0;
  return { users, products };
}

const any = (products: string[]) => products[Math.floor(Math.random() * products.length)]!;
const MIX: [number, string, (api: TesseraClient, products: string[]) => Promise<unknown>][] = [
  [30, 'GET /api/v2/products', (api) => timed('GET /api/v2/products', () => api.GET('/api/v2/products', { params: { query: { limit: 20 } } }))],
  [15, 'GET /api/v2/products?q', (api) => timed('GET /api/v2/products?q', () => api.GET('/api/v2/products', { params: { query: { limit: 10, q: 'load' } } }))],
  [20, 'GET /api/v2/products/{id}', (api, p) => timed('GET /api/v2/products/{id}', () => api.GET('/api/v2/products/{id}', { params: { path: { id: any(p) } } }))],
  [8, 'GET /api/v2/users/me', (api) => timed('GET /api/v2/users/me', () => api.GET('/api/v2/users/me'))],
  [12, 'POST /api/v2/orders', async (api, p) => {
    const decline = Math.random() < 0.15;
    const res = await timed('POST /api/v2/orders', () =>
      api.POST('/api/v2/orders', {
        params: { header: { 'Idempotency-Key': randomUUID() } },
        body: { items: [{ product_id: any(p), quantity: 1 }], payment_method: decline ? 'pm_card_declined' : 'pm_card_ok' },
      }),
    );
    if (res?.data?.status === 'payment_failed') declines++;
  }],
  [10, 'GET /api/v2/orders', (api) => timed('GET /api/v2/orders', () => api.GET('/api/v2/orders', { params: { query: { limit: 10 } } }))],
  [5, 'GET /api/v2/notifications', (api) => timed('GET /api/v2/notifications', () => api.GET('/api/v2/notifications', { params: { query: { limit: 10 } } }))],
];
const totalWeight = MIX.reduce((s, [w]) => s + w, 0);
const pick = () => {
  let r = Math.random() * totalWeight;
  for (const entry of MIX) if ((r -= entry[0]) < 0) return entry;
  return MIX[0]!;
};

/** A percentile in ms, to a tenth. */
const msAt = (sorted: number[], q: number) => Math.round(percentile(sorted, q) * 10) / 10;

async function main(): Promise<void> {
  process.stdout.write(`setting up ${connections} users and 10 products at ${base} …\n`);
  const { users, products } = await setup();
  const started = Date.now();
  const end = started + durationMs;
  let issued = 0;
  let ticks = 0;
  const progress = setInterval(() => {
    const elapsed = (Date.now() - started) / 1000;
    const done = Math.min(1, elapsed / (durationMs / 1000));
    const errors = samples.filter((s) => s.status === 0 || s.status >= 400).length;
    const bar = '█'.repeat(Math.round(done * 30)).padEnd(30, '░');
    const line = `${bar} ${elapsed.toFixed(0)}/${durationMs / 1000}s  ${samples.length} requests  ${(samples.length / Math.max(elapsed, 0.001)).toFixed(0)} req/s  ${errors} errors`;
    // A live bar on a terminal; a line every 5 s in logs and CI.
    if (process.stdout.isTTY) process.stdout.write(`\r${line}`);
    else if (ticks++ % 10 === 0) process.stdout.write(`${line}\n`);
  }, 500);
  await Promise.all(
    users.map(async (api) => {
      while (Date.now() < end) {
        if (rate > 0) {
          // Open-loop pacing: request n is due at n / rate seconds.
          const due = started + (issued++ / rate) * 1000;
          if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
          if (Date.now() >= end) break;
        }
        await pick()[2](api, products);
      }
    }),
  );
  clearInterval(progress);
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write('\n\n');

  const routes = [...new Set(samples.map((s) => s.route))].sort();
  const rows = routes.map((route) => {
    const of = samples.filter((s) => s.route === route);
    const ms = of.map((s) => s.ms).sort((a, b) => a - b);
    const errors = of.filter((s) => s.status === 0 || s.status >= 400).length;
    return { route, requests: of.length, 'req/s': Math.round((of.length / seconds) * 10) / 10, 'p50 ms': msAt(ms, 0.5), 'p95 ms': msAt(ms, 0.95), 'p99 ms': msAt(ms, 0.99), errors };
  });
  const all = samples.map((s) => s.ms).sort((a, b) => a - b);
  const total = { route: 'all', requests: samples.length, 'req/s': Math.round((samples.length / seconds) * 10) / 10, 'p50 ms': msAt(all, 0.5), 'p95 ms': msAt(all, 0.95), 'p99 ms': msAt(all, 0.99), errors: rows.reduce((s, r) => s + r.errors, 0) };
  const byStatus: Record<string, number> = {};
  for (const s of samples) if (s.status === 0 || s.status >= 400) byStatus[s.status === 0 ? 'network' : String(s.status)] = (byStatus[s.status === 0 ? 'network' : String(s.status)] ?? 0) + 1;
  console.table([...rows, total]);
  process.stdout.write(`errors by status: ${Object.keys(byStatus).length ? JSON.stringify(byStatus) : 'none'}; intended card declines: ${declines}\n`);

  mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const report = { url: base, durationSeconds: seconds, connections, rate, routes: rows, total, errorsByStatus: byStatus, intendedDeclines: declines };
  writeFileSync(path.join(outDir, `load-${stamp}.json`), JSON.stringify(report, null, 2));
  const md = [
    `# Load run ${stamp}`,
    '',
    `${base}, ${connections} connections, ${seconds.toFixed(1)} s${rate ? `, target ${rate} req/s` : ''}`,
    '',
    '| route | requests | req/s | p50 ms | p95 ms | p99 ms | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...[...rows, total].map((r) => `| ${r.route} | ${r.requests} | ${r['req/s']} | ${r['p50 ms']} | ${r['p95 ms']} | ${r['p99 ms']} | ${r.errors} |`),
    '',
    `Errors by status: ${Object.keys(byStatus).length ? JSON.stringify(byStatus) : 'none'}. Intended card declines: ${declines}.`,
    '',
  ].join('\n');
  writeFileSync(path.join(outDir, `load-${stamp}.md`), md);
  process.stdout.write(`report: ${path.join(outDir, `load-${stamp}.json`)} and .md\n`);
  process.exit(total.errors > 0 ? 1 : 0);
}

main().catch((error: unknown) => {
  process.stderr.write(`\nload: ${(error as Error).message}\n`);
  process.exit(1);
});
