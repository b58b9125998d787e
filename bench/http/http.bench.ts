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
import { cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { freePort } from '@tessera/local-infra';
import { hasWrk, type LoadResult } from './load';
import { peakRssMb, processTree } from './processes';
import { fmt, measureRounds, startBenchPlatform, waitForLine, workloads, type BenchStatus } from './platform';
import { summarizeProfiles } from './profile-summary';
import { seedBenchData, type BenchData } from './seed';

const ROOT = path.resolve(__dirname, '..', '..');

interface Cell {
  workload: string;
  system: string;
  result: LoadResult;
  cpuUsPerRequest: number;
  cpuBreakdown: [string, number][];
  rssMb: number;
}

async function startBaselines(status: BenchStatus, ports: { limit: number; naiveService: number; naiveEdge: number }): Promise<ChildProcess[]> {
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

  // A collector stand-in that accepts and drops spans, so the cost measured is the platform's own.
  const sink = values.tracing ? createServer((req, res) => req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'))) : undefined;
  if (sink) await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
  console.log('starting the platform (npm start --bundles)…');
  const platform = await startBenchPlatform({ what: 'the platform', env: sink ? { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(sink.address() as AddressInfo).port}` } : {} });
  const { status } = platform;
  const children: ChildProcess[] = [];
  try {
    // Profiles cover exactly the measured rounds of Tessera: SIGUSR2 starts the profiler, the next one writes it.
    const profiled = status.processes.filter((p) => values.profile?.split(',').includes(p.name)).map((p) => p.pid);
    const toggleProfiles = () => profiled.forEach((pid) => process.kill(pid, 'SIGUSR2'));
    if (!status.redis.startsWith('redis://')) throw new Error('the HTTP bench needs redis-server on PATH (the baselines read Redis)');

    console.log('seeding 1,000 products and 1,000 orders…');
    const data: BenchData = await seedBenchData(status.edge, status.admin, { products: 1_000, orders: 1_000 });
    const ports = { limit: await freePort(), naiveService: await freePort(), naiveEdge: await freePort() };
    children.push(...(await startBaselines(status, ports)));
    const pids = () => [...platform.pids(), ...children.flatMap((c) => processTree(c.pid!))];

    const systems = { limit: `http://127.0.0.1:${ports.limit}`, naive: `http://127.0.0.1:${ports.naiveEdge}`, tessera: status.edge };
    // The baselines answer the reads (W1, W2); only Tessera places orders.
    const systemsOf = (workload: string): (keyof typeof systems)[] => (workload.startsWith('W3') ? ['tessera'] : ['limit', 'naive', 'tessera']);

    const cells: Cell[] = [];
    for (const workload of workloads(status.edge, data).filter((w) => !values.only || w.name.startsWith(values.only))) {
      for (const system of systemsOf(workload.name).filter((s) => !onlySystems || onlySystems.has(s))) {
        const spec = { ...(await workload.spec()), base: systems[system], connections };
        // Token paths only: the baselines take no credentials.
        const forSystem = system === 'tessera' ? spec : { ...spec, authorization: undefined };
        process.stdout.write(`${workload.name} on ${system}: warm-up ${warmupS} s`);
        const measured = await measureRounds(forSystem, { warmupS, durationS, rounds }, pids, system === 'tessera' ? toggleProfiles : undefined);
        const cell: Cell = { workload: workload.name, system, ...measured, rssMb: Math.max(...pids().map(peakRssMb)) };
        cells.push(cell);
        process.stdout.write(`: ${fmt(cell.result.requests / cell.result.seconds)} req/s\n`);
      }
    }
    printTable(cells, { durationS, warmupS, rounds, connections });
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await platform.stop((dataDir) => {
      if (values.profile) console.log(summarizeProfiles(path.join(dataDir, 'profiles')));
      if (values.profile && values['keep-profiles']) {
        mkdirSync(values['keep-profiles'], { recursive: true });
        cpSync(path.join(dataDir, 'profiles'), values['keep-profiles'], { recursive: true });
      }
    });
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
