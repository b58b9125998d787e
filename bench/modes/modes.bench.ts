/**
 * `npm run bench -- modes`: monolith or microservices, measured on the same
 * machine in one run. Each mode is started from the production bundles the
 * way `npm start` does (`--monolith` for one process), with the same seeded
 * data, and driven with the http bench's workloads (wrk, warm-up, median of
 * rounds). Then the failure isolation: under a steady mix of product and
 * order reads, one process is killed (orders in microservices mode, the
 * monolith in monolith mode) and every request is recorded: what failed, and
 * for how long.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fmt, median, waitForLine } from '../http/http.bench';
import { hasWrk, runLoad, type LoadResult, type LoadSpec } from '../http/load';
import { cpuByLabel, peakRssMb, processTree } from '../http/processes';
import { login, seedBenchData } from '../http/seed';

const ROOT = path.resolve(__dirname, '..', '..');
type Mode = 'microservices' | 'monolith';

interface Status {
  processes: { name: string; pid: number }[];
  edge: string;
  admin: { email: string; password: string };
}

interface Row {
  mode: Mode;
  workload: string;
  result: LoadResult;
  cpuUsPerRequest: number;
}

interface ModeFacts {
  mode: Mode;
  /** From spawning the Tessera processes to the edge answering (the runner's own step timings). */
  startS: number;
  processes: number;
  /** Tessera's processes only (Postgres and Redis are the same in both modes). */
  rssMb: number;
  rows: Row[];
  isolation: Isolation;
}

interface Isolation {
  killed: string;
  /** Per route: requests, failures, the outage (first failure to last) and what the failures were (status or error). */
  routes: Record<string, { requests: number; failed: number; outageS: number; causes: Record<string, number> }>;
}

export async function modesBench(argv: string[] = []): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { duration: { type: 'string' }, warmup: { type: 'string' }, rounds: { type: 'string' }, connections: { type: 'string' } }, strict: true });
  const o = { durationS: Number(values.duration ?? 10), warmupS: Number(values.warmup ?? 5), rounds: Number(values.rounds ?? 3), connections: Number(values.connections ?? 64) };
  if (!hasWrk()) throw new Error('the modes bench drives load with wrk: install it (`apt-get install wrk`, `brew install wrk`)');
  console.log('building the production bundles (npm run build)…');
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'ignore' });
  const facts: ModeFacts[] = [];
  for (const mode of ['microservices', 'monolith'] as const) facts.push(await measureMode(mode, o));
  printTables(facts, o);
}

async function measureMode(mode: Mode, o: { durationS: number; warmupS: number; rounds: number; connections: number }): Promise<ModeFacts> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `tessera-modes-${mode}-`));
  const quota = '1000000000';
  console.log(`\n${mode}: starting (npm start --bundles${mode === 'monolith' ? ' --monolith' : ''})…`);
  const runner = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/runner/cli.ts'), '--bundles', '--fresh', '--data-dir', dataDir, '--port', '0', '--grpc-port', '0', ...(mode === 'monolith' ? ['--monolith'] : [])], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', TESSERA_RATE_LIMIT_ANONYMOUS: quota, TESSERA_RATE_LIMIT_USER: quota, TESSERA_RATE_LIMIT_API_KEY: quota, TESSERA_RATE_LIMIT_AUTH: quota },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  runner.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  try {
    await waitForLine(runner, /Tessera is ready at (\S+) \(readiness: ready\)/, 180_000, `the platform (${mode})`);
    // The runner times each step; the Tessera processes are the services and edge steps, or the one monolith step.
    const stepSeconds = (pattern: RegExp) => [...output.matchAll(/✔ ([^\n]*?) \((\d+(?:\.\d+)?)s\)/g)].filter((m) => pattern.test(m[1]!)).reduce((s, m) => s + Number(m[2]), 0);
    const startS = mode === 'monolith' ? stepSeconds(/^monolith:/) : stepSeconds(/^(services|edge):? /);
    const status = JSON.parse(readFileSync(path.join(dataDir, 'status.json'), 'utf8')) as Status;
    console.log(`seeding 1,000 products and 1,000 orders…`);
    const data = await seedBenchData(status.edge, status.admin, { products: 1_000, orders: 1_000 });
    const workloads: { name: string; spec: () => Promise<Omit<LoadSpec, 'base' | 'connections' | 'durationS'>> }[] = [
      { name: 'W1 GET /products/{id}', spec: async () => ({ paths: data.products.map((id) => `/api/v2/products/${id}`) }) },
      { name: 'W2 GET /orders/{id}', spec: async () => ({ paths: data.orders.map((id) => `/api/v2/orders/${id}`), authorization: `Bearer ${await login(status.edge, data.reader)}` }) },
      { name: 'W3 POST /orders', spec: async () => ({ paths: ['/api/v2/orders'], method: 'POST', products: data.products, authorization: `Bearer ${await login(status.edge, data.buyer)}` }) },
    ];
    const pids = () => processTree(runner.pid!);
    const rows: Row[] = [];
    for (const workload of workloads) {
      const spec = { ...(await workload.spec()), base: status.edge, connections: o.connections };
      process.stdout.write(`${workload.name}: warm-up ${o.warmupS} s`);
      await runLoad({ ...spec, durationS: o.warmupS });
      const measured: Row[] = [];
      for (let round = 0; round < o.rounds; round++) {
        process.stdout.write(`, round ${round + 1}`);
        const processes = pids();
        const before = cpuByLabel(processes);
        const result = await runLoad({ ...spec, durationS: o.durationS });
        const after = cpuByLabel(processes);
        const cpu = [...after].reduce((sum, [label, s]) => sum + (s - (before.get(label) ?? 0)), 0);
        measured.push({ mode, workload: workload.name, result, cpuUsPerRequest: (cpu * 1e6) / Math.max(1, result.requests) });
      }
      const row = median(measured, (r) => r.result.requests / r.result.seconds);
      rows.push(row);
      process.stdout.write(`: ${fmt(row.result.requests / row.result.seconds)} req/s\n`);
    }
    const tessera = status.processes.map((p) => p.pid);
    const rssMb = tessera.reduce((sum, pid) => sum + peakRssMb(pid), 0);
    const isolation = await killOneUnderLoad(mode, status, data, await login(status.edge, data.reader));
    return { mode, startS, processes: tessera.length, rssMb, rows, isolation };
  } finally {
    // A runner that already exited (it failed to start) fires no second 'exit' (see the http bench).
    if (runner.exitCode === null && runner.signalCode === null) {
      const exited = new Promise((r) => runner.once('exit', r));
      runner.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Eight clients loop over product reads (anonymous) and order reads (a
 * user's) for 20 s; at 5 s one process is SIGKILLed. Every request counts:
 * how many failed per route, and the span from the first failure to the last.
 */
async function killOneUnderLoad(mode: Mode, status: Status, data: { products: string[]; orders: string[] }, token: string): Promise<Isolation> {
  const killed = mode === 'monolith' ? 'monolith' : 'orders';
  const pid = status.processes.find((p) => p.name === killed)!.pid;
  const routes: Record<string, { requests: number; failed: number; causes: Record<string, number>; first?: number; last?: number }> = {
    'GET /products/{id}': { requests: 0, failed: 0, causes: {} },
    'GET /orders/{id}': { requests: 0, failed: 0, causes: {} },
  };
  const started = Date.now();
  const end = started + 20_000;
  setTimeout(() => process.kill(pid, 'SIGKILL'), 5_000);
  const client = async (n: number) => {
    for (let i = n; Date.now() < end; i++) {
      const products = i % 2 === 0;
      const route = products ? 'GET /products/{id}' : 'GET /orders/{id}';
      const url = products ? `${status.edge}/api/v2/products/${data.products[i % data.products.length]}` : `${status.edge}/api/v2/orders/${data.orders[i % data.orders.length]}`;
      const outcome = await fetch(url, { headers: products ? {} : { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(2_000) }).then(
        async (r) => (await r.arrayBuffer(), String(r.status)),
        (error: Error) => (error.name === 'TimeoutError' ? 'timeout' : 'connection error'),
      );
      const r = routes[route]!;
      r.requests++;
      if (outcome !== '200') {
        r.failed++;
        r.causes[outcome] = (r.causes[outcome] ?? 0) + 1;
        r.first ??= Date.now();
        r.last = Date.now();
        await new Promise((s) => setTimeout(s, 20));
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, n) => client(n)));
  return { killed, routes: Object.fromEntries(Object.entries(routes).map(([route, r]) => [route, { requests: r.requests, failed: r.failed, causes: r.causes, outageS: r.first === undefined ? 0 : (r.last! - r.first) / 1000 }])) };
}

function printTables(facts: ModeFacts[], o: { durationS: number; warmupS: number; rounds: number; connections: number }): void {
  const rate = (r: Row) => r.result.requests / r.result.seconds;
  console.log(`\nwrk, ${o.connections} connections, ${o.warmupS} s warm-up, median of ${o.rounds} × ${o.durationS} s; CPU counts every process of the platform (Postgres and Redis included).\n`);
  console.log('| workload | mode | req/s | p50 ms | p99 ms | errors | CPU µs/req | monolith ÷ microservices (req/s) |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const row of facts.flatMap((f) => f.rows)) {
    const other = facts.find((f) => f.mode === 'microservices')!.rows.find((r) => r.workload === row.workload)!;
    console.log(`| ${row.workload} | ${row.mode} | ${fmt(rate(row))} | ${fmt(row.result.p50Ms, 2)} | ${fmt(row.result.p99Ms, 2)} | ${row.result.errors} | ${fmt(row.cpuUsPerRequest)} | ${row.mode === 'monolith' ? `${fmt(rate(row) / rate(other), 2)}×` : '–'} |`);
  }
  const causes = (c: Record<string, number>) => (Object.keys(c).length ? ` (${Object.entries(c).map(([k, n]) => `${k} ×${n}`).join(', ')})` : '');
  console.log('\n| mode | Tessera processes | start (s) | peak RSS of Tessera processes (MB) | killed under load | product reads failed | product outage (s) | order reads failed | order outage (s) |');
  console.log('|---|---:|---:|---:|---|---:|---:|---:|---:|');
  for (const f of facts) {
    const p = f.isolation.routes['GET /products/{id}']!;
    const q = f.isolation.routes['GET /orders/{id}']!;
    console.log(`| ${f.mode} | ${f.processes} | ${fmt(f.startS, 1)} | ${fmt(f.rssMb)} | ${f.isolation.killed} | ${p.failed} of ${p.requests}${causes(p.causes)} | ${fmt(p.outageS, 1)} | ${q.failed} of ${q.requests}${causes(q.causes)} | ${fmt(q.outageS, 1)} |`);
  }
}
