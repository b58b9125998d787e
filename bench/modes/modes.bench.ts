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
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fmt, measureRounds, startBenchPlatform, workloads, type BenchStatus } from '../http/platform';
import { hasWrk, type LoadResult } from '../http/load';
import { peakRssMb } from '../http/processes';
import { login, seedBenchData } from '../http/seed';

const ROOT = path.resolve(__dirname, '..', '..');
type Mode = 'microservices' | 'monolith';


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
  console.log(`\n${mode}: starting (npm start --bundles${mode === 'monolith' ? ' --monolith' : ''})…`);
  const platform = await startBenchPlatform({ what: `the platform (${mode})`, flags: mode === 'monolith' ? ['--monolith'] : [], env: { LOG_LEVEL: 'warn' } });
  const { status } = platform;
  try {
    // The runner times each step; the Tessera processes are the services and edge steps, or the one monolith step.
    const stepSeconds = (pattern: RegExp) => [...platform.output().matchAll(/✔ ([^\n]*?) \((\d+(?:\.\d+)?)s\)/g)].filter((m) => pattern.test(m[1]!)).reduce((s, m) => s + Number(m[2]), 0);
    const startS = mode === 'monolith' ? stepSeconds(/^monolith:/) : stepSeconds(/^(services|edge):? /);
    console.log(`seeding 1,000 products and 1,000 orders…`);
    const data = await seedBenchData(status.edge, status.admin, { products: 1_000, orders: 1_000 });
    const rows: Row[] = [];
    for (const workload of workloads(status.edge, data)) {
      process.stdout.write(`${workload.name}: warm-up ${o.warmupS} s`);
      const measured = await measureRounds({ ...(await workload.spec()), base: status.edge, connections: o.connections }, o, platform.pids);
      const row: Row = { mode, workload: workload.name, result: measured.result, cpuUsPerRequest: measured.cpuUsPerRequest };
      rows.push(row);
      process.stdout.write(`: ${fmt(row.result.requests / row.result.seconds)} req/s\n`);
    }
    const tessera = status.processes.map((p) => p.pid);
    const rssMb = tessera.reduce((sum, pid) => sum + peakRssMb(pid), 0);
    const isolation = await killOneUnderLoad(mode, status, data, await login(status.edge, data.reader));
    return { mode, startS, processes: tessera.length, rssMb, rows, isolation };
  } finally {
    await platform.stop();
  }
}

/**
 * Eight clients loop over product reads (anonymous) and order reads (a
 * user's) for 20 s; at 5 s one process is SIGKILLed. Every request counts:
 * how many failed per route, and the span from the first failure to the last.
 */
async function killOneUnderLoad(mode: Mode, status: BenchStatus, data: { products: string[]; orders: string[] }, token: string): Promise<Isolation> {
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
