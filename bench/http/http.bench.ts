/**
 * `npm run bench -- http`: the request path under load, against baselines
 * built in the same run from the same dependencies and the same data.
 *
 * Starts the platform the way `npm start` does, from the production bundles
 * (`npm run build`), seeds products and orders, starts two baselines (the
 * limit: raw node:http + ioredis + postgres; naive: Express 5 → grpc-js, one
 * unary call per request), and drives each workload with wrk after a warm-up.
 * CPU per request counts every process (edge, services, Postgres, Redis,
 * baselines) from /proc over the measured window.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { freePort } from '@tessera/local-infra';
import { hasWrk, runLoad, type LoadResult, type LoadSpec } from './load';
import { cpuByLabel, peakRssMb, processTree } from './processes';
import { summarizeProfiles } from './profile-summary';
import { seedBenchData, login, type BenchData } from './seed';

const ROOT = path.resolve(__dirname, '..', '..');

interface Status {
  processes: { name: string; pid: number }[];
  edge: string;
  redis: string;
  databases: Record<string, unknown>;
  admin: { email: string; password: string };
}

interface Cell {
  workload: string;
  system: string;
  result: LoadResult;
  cpuUsPerRequest: number;
  cpuBreakdown: [string, number][];
  rssMb: number;
}

export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${timeoutMs / 1000} s:\n${out.slice(-2000)}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = pattern.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) while starting:\n${out.slice(-2000)}`));
    });
  });
}

async function startBaselines(status: Status, ports: { limit: number; naiveService: number; naiveEdge: number }): Promise<ChildProcess[]> {
  const outdir = path.join(ROOT, 'bench', '.build');
  await build({
    entryPoints: [path.join(ROOT, 'bench/baselines/limit.ts'), path.join(ROOT, 'bench/baselines/naive.ts')],
    outdir: path.join(outdir, 'baselines'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    tsconfig: path.join(ROOT, 'tsconfig.json'),
    plugins: [{ name: 'external', setup: (b) => b.onResolve({ filter: /^[^./]/ }, (a) => (a.path.startsWith('@tessera/') ? undefined : { external: true })) }],
    logLevel: 'warning',
  });
  const env = { ...process.env, BENCH_REDIS_URL: status.redis, BENCH_CATALOG_DB: JSON.stringify(status.databases.catalog), BENCH_ORDERS_DB: JSON.stringify(status.databases.orders) };
  const start = async (file: string, args: string[], port: number, extra: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [path.join(outdir, 'baselines', file), ...args], { cwd: ROOT, env: { ...env, PORT: String(port), ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
    await waitForLine(child, /listening/, 20_000, `baseline ${file} ${args.join(' ')}`);
    return child;
  };
  return [
    await start('limit.js', [], ports.limit),
    await start('naive.js', ['service'], ports.naiveService),
    await start('naive.js', ['edge'], ports.naiveEdge, { SERVICE_PORT: String(ports.naiveService) }),
  ];
}

export const median = <T>(items: T[], by: (t: T) => number): T => [...items].sort((a, b) => by(a) - by(b))[Math.floor(items.length / 2)]!;
export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export async function httpBench(argv: string[] = []): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      /** Only workloads whose name starts with this (e.g. W1). */
      only: { type: 'string' },
      /** Only these systems (comma-separated: limit,naive,tessera). */
      systems: { type: 'string' },
      /** Write V8 CPU profiles of these Tessera processes (comma-separated, e.g. edge,catalog-1) and summarise them. */
      profile: { type: 'string' },
      /** Copy the profiles here before the data folder goes. */
      'keep-profiles': { type: 'string' },
      /** Tracing on: every process exports its spans over OTLP to a sink in this process (the cost of tracing). */
      tracing: { type: 'boolean' },
    },
    strict: true,
  });
  const onlySystems = values.systems ? new Set(values.systems.split(',')) : undefined;
  const durationS = Number(values.duration ?? 10);
  const warmupS = Number(values.warmup ?? 10);
  const rounds = Number(values.rounds ?? 3);
  const connections = Number(values.connections ?? 64);
  if (!hasWrk()) throw new Error('the HTTP bench drives load with wrk: install it (`apt-get install wrk`, `brew install wrk`)');

  console.log('building the production bundles (npm run build)…');
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'ignore' });

  const dataDir = mkdtempSync(path.join(tmpdir(), 'tessera-bench-data-'));
  // A collector stand-in that accepts and drops spans, so the cost measured is the platform's own.
  const sink = values.tracing ? createServer((req, res) => req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'))) : undefined;
  if (sink) await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
  const tracingEnv = sink ? { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(sink.address() as AddressInfo).port}` } : {};
  const quota = '1000000000';
  console.log('starting the platform (npm start --bundles)…');
  const runner = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/runner/cli.ts'), '--bundles', '--fresh', '--data-dir', dataDir, '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, ...tracingEnv, TESSERA_RATE_LIMIT_ANONYMOUS: quota, TESSERA_RATE_LIMIT_USER: quota, TESSERA_RATE_LIMIT_API_KEY: quota, TESSERA_RATE_LIMIT_AUTH: quota },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const children: ChildProcess[] = [];
  try {
    await waitForLine(runner, /Tessera is ready at (\S+) \(readiness: ready\)/, 180_000, 'the platform');
    const status = JSON.parse(readFileSync(path.join(dataDir, 'status.json'), 'utf8')) as Status;
    // Profiles cover exactly the measured rounds of Tessera: SIGUSR2 starts the profiler, the next one writes it.
    const profiled = status.processes.filter((p) => values.profile?.split(',').includes(p.name)).map((p) => p.pid);
    const toggleProfiles = () => profiled.forEach((pid) => process.kill(pid, 'SIGUSR2'));
    if (!status.redis.startsWith('redis://')) throw new Error('the HTTP bench needs redis-server on PATH (the baselines read Redis)');

    console.log('seeding 1,000 products and 1,000 orders…');
    const data: BenchData = await seedBenchData(status.edge, status.admin, { products: 1_000, orders: 1_000 });
    const ports = { limit: await freePort(), naiveService: await freePort(), naiveEdge: await freePort() };
    children.push(...(await startBaselines(status, ports)));
    const pids = () => [...processTree(runner.pid!), ...children.flatMap((c) => processTree(c.pid!))];

    const systems = { limit: `http://127.0.0.1:${ports.limit}`, naive: `http://127.0.0.1:${ports.naiveEdge}`, tessera: status.edge };
    const workloads: { name: string; systems: (keyof typeof systems)[]; spec: () => Promise<Omit<LoadSpec, 'base' | 'connections' | 'durationS'>> }[] = [
      { name: 'W1 GET /products/{id}', systems: ['limit', 'naive', 'tessera'], spec: async () => ({ paths: data.products.map((id) => `/api/v2/products/${id}`) }) },
      {
        name: 'W2 GET /orders/{id}',
        systems: ['limit', 'naive', 'tessera'],
        spec: async () => ({ paths: data.orders.map((id) => `/api/v2/orders/${id}`), authorization: `Bearer ${await login(status.edge, data.reader)}` }),
      },
      {
        name: 'W3 POST /orders',
        systems: ['tessera'],
        spec: async () => ({ paths: ['/api/v2/orders'], method: 'POST', products: data.products, authorization: `Bearer ${await login(status.edge, data.buyer)}` }),
      },
    ];

    const cells: Cell[] = [];
    for (const workload of workloads.filter((w) => !values.only || w.name.startsWith(values.only))) {
      for (const system of workload.systems.filter((s) => !onlySystems || onlySystems.has(s))) {
        const spec = { ...(await workload.spec()), base: systems[system], connections };
        // Token paths only: the baselines take no credentials.
        const forSystem = system === 'tessera' ? spec : { ...spec, authorization: undefined };
        process.stdout.write(`${workload.name} on ${system}: warm-up ${warmupS} s`);
        await runLoad({ ...forSystem, durationS: warmupS });
        const measured: Cell[] = [];
        for (let round = 0; round < rounds; round++) {
          process.stdout.write(`, round ${round + 1}`);
          const processes = pids();
          if (system === 'tessera') toggleProfiles();
          const before = cpuByLabel(processes);
          const result = await runLoad({ ...forSystem, durationS });
          const after = cpuByLabel(processes);
          if (system === 'tessera') toggleProfiles();
          const breakdown = [...after].map(([label, cpu]): [string, number] => [label, ((cpu - (before.get(label) ?? 0)) * 1e6) / Math.max(1, result.requests)]).sort((a, b) => b[1] - a[1]);
          measured.push({ workload: workload.name, system, result, cpuUsPerRequest: breakdown.reduce((s, [, us]) => s + us, 0), cpuBreakdown: breakdown, rssMb: 0 });
        }
        const cell = median(measured, (c) => c.result.requests / c.result.seconds);
        cell.rssMb = Math.max(...pids().map(peakRssMb));
        cells.push(cell);
        process.stdout.write(`: ${fmt(cell.result.requests / cell.result.seconds)} req/s\n`);
      }
    }
    printTable(cells, { durationS, warmupS, rounds, connections });
  } finally {
    for (const child of children) child.kill('SIGTERM');
    runner.kill('SIGTERM');
    // A runner that already exited (it failed to start) fires no second 'exit': waiting for one would end
    // this process silently, with nothing left to run, instead of reporting why.
    if (runner.exitCode === null && runner.signalCode === null) await new Promise((r) => runner.once('exit', r));
    if (values.profile) console.log(summarizeProfiles(path.join(dataDir, 'profiles')));
    if (values.profile && values['keep-profiles']) {
      mkdirSync(values['keep-profiles'], { recursive: true });
      cpSync(path.join(dataDir, 'profiles'), values['keep-profiles'], { recursive: true });
    }
    rmSync(dataDir, { recursive: true, force: true });
    sink?.close();
  }
}

function printTable(cells: Cell[], o: { durationS: number; warmupS: number; rounds: number; connections: number }): void {
  const rate = (c: Cell) => c.result.requests / c.result.seconds;
  const find = (workload: string, system: string) => cells.find((c) => c.workload === workload && c.system === system);
  console.log(`\nwrk, ${o.connections} connections, ${o.warmupS} s warm-up, median of ${o.rounds} × ${o.durationS} s; CPU counts every process (Postgres and Redis included).\n`);
  console.log('| workload | system | req/s | p50 ms | p99 ms | p99/p50 | errors | CPU µs/req (all processes) | where the CPU goes (µs/req) | peak RSS MB | × naive | × limit |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|');
  for (const c of cells) {
    const naive = find(c.workload, 'naive');
    const limit = find(c.workload, 'limit');
    const breakdown = c.cpuBreakdown.filter(([, us]) => us >= 3).map(([label, us]) => `${label} ${fmt(us)}`).join(' · ');
    console.log(
      `| ${c.workload} | ${c.system} | ${fmt(rate(c))} | ${fmt(c.result.p50Ms, 2)} | ${fmt(c.result.p99Ms, 2)} | ${fmt(c.result.p99Ms / c.result.p50Ms, 1)} | ${c.result.errors} | ${fmt(c.cpuUsPerRequest)} | ${breakdown} | ${fmt(c.rssMb)} | ${naive ? `${fmt(rate(c) / rate(naive), 2)}×` : '–'} | ${limit ? `${fmt(rate(c) / rate(limit), 2)}×` : '–'} |`,
    );
  }
}
