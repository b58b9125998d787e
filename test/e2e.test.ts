import { execFile, spawn, type ChildProcess } from 'node:child_process';

/** A command's exit code and output, never throwing. */
const run = (file: string, args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(file, args, { cwd: path.resolve(__dirname, '..'), timeout: 60_000 }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })),
  );
import { createHmac } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tesseraClient } from '@tessera/api-client';
import { eventually } from '@tessera/testing';

const ROOT = path.resolve(__dirname, '..');

/** The whole platform shares two cores with the test: asynchronous steps get more time than the default. */
const SLOW = 20_000;

/** Processes whose command line mentions `needle` (Linux /proc). */
function processesMentioning(needle: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}

// The journey in both modes: a process per service, and every service and the edge as one process (`--monolith`).
describe.each([
  { mode: 'microservices', flags: [] as string[], crashes: 'catalog-1', processes: 7 },
  { mode: 'monolith', flags: ['--monolith'], crashes: 'monolith', processes: 1 },
])('npm start, end to end ($mode)', ({ mode, flags, crashes, processes }) => {
  let runner: ChildProcess;
  let output = '';
  let base = '';
  let receiver: Server;
  let hookUrl = '';
  const hooks: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tessera-e2e-'));
  chmodSync(dataDir, 0o755);

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hooks.push({ headers: req.headers, body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/tessera`;

    runner = spawn(process.execPath, ['--import', 'tsx', 'scripts/runner/cli.ts', '--port', '0', '--data-dir', dataDir, '--fresh', ...flags], {
      cwd: ROOT,
      env: { ...process.env, TESSERA_ADMIN_EMAIL: 'e2e-admin@tessera.local', TESSERA_ADMIN_PASSWORD: 'an e2e admin password', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    runner.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    runner.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    base = await eventually('the runner to be ready', async () => {
      if (runner.exitCode !== null) throw new Error(`runner exited:\n${output}${failedLogs(output)}`);
      const m = /Tessera is ready at (http:\/\/localhost:\d+) \(readiness: ready\)/.exec(output);
      return m?.[1]?.replace('localhost', '127.0.0.1');
    }, 90_000);
  }, 120_000);

  afterAll(async () => {
    if (runner.exitCode === null) runner.kill('SIGKILL');
    await new Promise((r) => receiver.close(r));
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('when a user registers, orders, is notified, gets a signed webhook, cancels and is refunded, and the runner stops, then every step works and nothing is left running', async () => {
    expect(output).toMatch(/✔ Postgres: 2 shards/);
    expect(output).toMatch(mode === 'monolith' ? /✔ monolith: every service and the edge in one process/ : /catalog-2/);
    // The status table: process, port, metrics port, pid, health, log. Tessera's processes have a metrics port;
    // Postgres and Redis show their pids too, and no metrics port.
    const rows = [...output.matchAll(/│ \d+\s+│ '([^']+)'\s+│ (\d+)\s+│ (\d+|'-')\s+│ (\d+)\s+│ 'up'\s+│/g)].map((m) => ({ name: m[1]!, metrics: m[3]!, pid: Number(m[4]) }));
    const pids = rows.filter((r) => r.metrics !== "'-'").map((r) => r.pid);
    expect(pids.length).toBe(processes);
    expect(rows.filter((r) => r.name.startsWith('postgres ')).length).toBe(4);
    expect(rows.filter((r) => r.name === 'redis').length).toBe(1);
    const metricsPort = Number(rows.find((r) => r.metrics !== "'-'")!.metrics);
    expect(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()).toMatch(/^process_cpu_user_seconds_total/m);

    // The journey through the typed client generated from the v2 document: the contract, exercised by its consumer.
    // register → login → browse
    const anonymous = tesseraClient(base);
    const email = `e2e-${Date.now()}@tessera.local`;
    expect((await anonymous.POST('/api/v2/users', { body: { email, password: 'correct horse battery staple', display_name: 'E2E' } })).response.status).toBe(201);
    const { data: tokens } = await anonymous.POST('/api/v2/auth/login', { body: { email, password: 'correct horse battery staple' } });
    const api = tesseraClient(base, { token: tokens!.access_token });
    const { data: page } = await anonymous.GET('/api/v2/products', { params: { query: { limit: 5 } } });
    expect(page!.data.length).toBeGreaterThan(0);
    const product = page!.data[0]!;

    // a webhook for payment and cancellation events, to a receiver on loopback (allowed in local runs)
    const hook = await api.POST('/api/v2/webhooks', { body: { url: hookUrl, event_types: ['order.paid', 'order.cancelled'] } });
    expect(hook.response.status).toBe(201);

    // order → paid
    const placed = await api.POST('/api/v2/orders', { params: { header: { 'Idempotency-Key': 'e2e-order-1' } }, body: { items: [{ product_id: product.id, quantity: 1 }], payment_method: 'pm_card_ok' } });
    expect(placed.response.status).toBe(201);
    const order = placed.data!;
    expect(order.status).toBe('paid');
    expect((await api.GET('/api/v2/orders/{id}', { params: { path: { id: order.id } } })).data!.status).toBe('paid');
    const inbox = async () => (await api.GET('/api/v2/notifications', {})).data!.data;

    // notification and a signed webhook delivery
    await eventually('an order.paid notification', async () => (await inbox()).find((n) => n.type === 'order.paid'), SLOW);
    const delivery = await eventually('a webhook delivery', async () => hooks.find((h) => h.body.includes(order.id)), SLOW);
    const [t, v1] = String(delivery.headers['tessera-signature']).split(',').map((p) => p.split('=')[1]);
    expect(v1).toBe(createHmac('sha256', hook.data!.signing_secret).update(`${t}.${delivery.body}`).digest('hex'));

    // cancel → refund
    const cancelled = await api.POST('/api/v2/orders/{id}/cancel', { params: { path: { id: order.id } } });
    expect(cancelled.data!.status).toBe('cancelled');
    const payments = (await api.GET('/api/v2/orders/{id}/payments', { params: { path: { id: order.id } } })).data!.data;
    expect(payments).toHaveLength(1);
    expect(payments[0]!.status).toBe('refunded');
    expect(payments[0]!.ledger.map((e) => e.status)).toEqual(['pending', 'authorized', 'refunded']);
    await eventually('a refund notification', async () => (await inbox()).find((n) => n.type === 'payment.refunded'), SLOW);
    await eventually('a cancellation webhook', async () => hooks.find((h) => h.body.includes('order.cancelled')), SLOW);

    // Everything so far was ordinary use: not one 5xx (the crash below may legitimately cost some 503s).
    const { edgeMetrics } = JSON.parse(readFileSync(path.join(dataDir, 'status.json'), 'utf8')) as { edgeMetrics: string };
    const counts = (await (await fetch(edgeMetrics)).text()).split('\n').filter((l) => l.startsWith('http_server_request_duration_seconds_count{'));
    expect(counts.some((l) => /status="2\d\d"/.test(l))).toBe(true);
    expect(counts.filter((l) => /status="5\d\d"/.test(l))).toEqual([]);

    // a crashed process (a catalog; the monolith: everything) is reported and restarted
    const crashedPid = rows.find((r) => r.name === crashes)!.pid;
    process.kill(crashedPid, 'SIGKILL');
    await eventually('the crash to be reported', async () => (new RegExp(`${crashes} exited \\(SIGKILL\\); restarting`).test(output) ? true : undefined), SLOW);
    await eventually('products to be served again (by both catalogs)', async () => {
      const res = await Promise.all([1, 2, 3, 4].map(() => anonymous.GET('/api/v2/products/{id}', { params: { path: { id: product.id } } })));
      return res.every((r) => r.response.status === 200) ? true : undefined;
    }, SLOW);

    // stop: everything goes away
    const exited = new Promise<number | null>((resolve) => runner.once('exit', resolve));
    runner.kill('SIGTERM');
    expect(await exited).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    const alive = pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
    expect(processesMentioning(dataDir)).toEqual([]);

    // a second start reuses the data: the same user logs in, the order is still there
    output = '';
    runner = spawn(process.execPath, ['--import', 'tsx', 'scripts/runner/cli.ts', '--port', '0', '--data-dir', dataDir, ...flags], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    runner.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    const again = await eventually('the second start', async () => /Tessera is ready at (http:\/\/localhost:\d+)/.exec(output)?.[1]?.replace('localhost', '127.0.0.1'), 90_000);
    const relogin = await tesseraClient(again).POST('/api/v2/auth/login', { body: { email, password: 'correct horse battery staple' } });
    expect(relogin.response.status).toBe(200);
    expect((await tesseraClient(again, { token: relogin.data!.access_token }).GET('/api/v2/orders/{id}', { params: { path: { id: order.id } } })).data!.status).toBe('cancelled');
    const secondExit = new Promise<number | null>((resolve) => runner.once('exit', resolve));
    // The outside client example of the README ("Call it over gRPC"), against this platform's public gRPC API.
    const grpcAddress = [...output.matchAll(/gRPC:\s+(localhost:\d+)/g)].at(-1)?.[1];
    expect(grpcAddress).toBeDefined();
    const example = await run(process.execPath, ['--import', 'tsx', 'examples/grpc-client.ts', '--rest', again, '--grpc', grpcAddress!]);
    expect(example).toMatchObject({ code: 0, stderr: '' });
    expect(example.stdout).toMatch(/browsing over gRPC: .+ USD/);
    expect(example.stdout).toMatch(/ordered over gRPC: ord_\d+, ORDER_STATUS_PAID/);
    expect(example.stdout).toMatch(/someone else's orders: PERMISSION_DENIED/);

    runner.kill('SIGINT');
    expect(await secondExit).toBe(0);
    expect(processesMentioning(dataDir)).toEqual([]);
  }, 180_000);
});

/** The last lines of the logs a failed start points at ("see …/logs/x.log"), so the failure explains itself. */
function failedLogs(output: string): string {
  return [...new Set([...output.matchAll(/see (\S+\.log)/g)].map((m) => m[1]!))]
    .map((file) => `\n--- ${file}\n${existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-15).join('\n') : '(missing)'}`)
    .join('');
}
