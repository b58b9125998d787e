/**
 * What the request-path benches share: the platform started from the
 * production bundles as `npm start -- --bundles` starts it (rate-limit quotas
 * raised, the limits still on), the three workloads on its seeded data, and
 * one measured round loop (warm-up, rounds, CPU over the given processes,
 * the median round).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runLoad, type LoadResult, type LoadSpec } from './load';
import { cpuByLabel, processTree } from './processes';
import { login, type BenchData } from './seed';

const ROOT = path.resolve(__dirname, '..', '..');

/** The runner's status.json, as far as the benches read it. */
export interface BenchStatus {
  processes: { name: string; pid: number }[];
  edge: string;
  redis: string;
  /** Each service's database clusters (the baselines read the same data). */
  databases: Record<string, unknown>;
  admin: { email: string; password: string };
}

export interface BenchPlatform {
  dataDir: string;
  status: BenchStatus;
  /** Everything the runner printed so far (its step timings among it). */
  output(): string;
  /** The runner and every process under it. */
  pids(): number[];
  /** Stops the platform; `beforeRemoving` may read the data folder (profiles) before it goes. */
  stop(beforeRemoving?: (dataDir: string) => void): Promise<void>;
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

export async function startBenchPlatform(options: { what: string; flags?: string[]; env?: Record<string, string> }): Promise<BenchPlatform> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tessera-bench-data-'));
  const quota = '1000000000';
  const runner = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/runner/cli.ts'), '--bundles', '--fresh', '--data-dir', dataDir, '--port', '0', '--grpc-port', '0', ...(options.flags ?? [])], {
    cwd: ROOT,
    env: { ...process.env, ...options.env, TESSERA_RATE_LIMIT_ANONYMOUS: quota, TESSERA_RATE_LIMIT_USER: quota, TESSERA_RATE_LIMIT_API_KEY: quota, TESSERA_RATE_LIMIT_AUTH: quota },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  runner.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  const stop = async (beforeRemoving?: (dir: string) => void) => {
    // A runner that already exited (it failed to start) fires no second 'exit': waiting for one would end
    // this process silently, with nothing left to run, instead of reporting why.
    if (runner.exitCode === null && runner.signalCode === null) {
      const exited = new Promise((r) => runner.once('exit', r));
      runner.kill('SIGTERM');
      await exited;
    }
    beforeRemoving?.(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForLine(runner, /Tessera is ready at (\S+) \(readiness: ready\)/, 180_000, options.what);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    dataDir,
    status: JSON.parse(readFileSync(path.join(dataDir, 'status.json'), 'utf8')) as BenchStatus,
    output: () => output,
    pids: () => processTree(runner.pid!),
    stop,
  };
}

export type WorkloadSpec = Omit<LoadSpec, 'base' | 'connections' | 'durationS'>;

/** W1–W3 on the seeded data: anonymous product reads, one user's order reads (token, replica), order placement. */
export function workloads(edge: string, data: BenchData): { name: string; spec: () => Promise<WorkloadSpec> }[] {
  return [
    { name: 'W1 GET /products/{id}', spec: async () => ({ paths: data.products.map((id) => `/api/v2/products/${id}`) }) },
    { name: 'W2 GET /orders/{id}', spec: async () => ({ paths: data.orders.map((id) => `/api/v2/orders/${id}`), authorization: `Bearer ${await login(edge, data.reader)}` }) },
    { name: 'W3 POST /orders', spec: async () => ({ paths: ['/api/v2/orders'], method: 'POST', products: data.products, authorization: `Bearer ${await login(edge, data.buyer)}` }) },
  ];
}

export interface Measured {
  result: LoadResult;
  /** CPU µs per request, by process label, largest first. */
  cpuBreakdown: [string, number][];
  cpuUsPerRequest: number;
}

/**
 * A warm-up, then `rounds` measured rounds with the CPU time of `pids()`
 * around each; the median round by throughput. `around` runs just before and
 * after each measured round (e.g. to toggle profilers).
 */
export async function measureRounds(spec: Omit<LoadSpec, 'durationS'>, o: { warmupS: number; durationS: number; rounds: number }, pids: () => number[], around?: () => void): Promise<Measured> {
  await runLoad({ ...spec, durationS: o.warmupS });
  const measured: Measured[] = [];
  for (let round = 0; round < o.rounds; round++) {
    process.stdout.write(`, round ${round + 1}`);
    const processes = pids();
    around?.();
    const before = cpuByLabel(processes);
    const result = await runLoad({ ...spec, durationS: o.durationS });
    const after = cpuByLabel(processes);
    around?.();
    const cpuBreakdown = [...after].map(([label, cpu]): [string, number] => [label, ((cpu - (before.get(label) ?? 0)) * 1e6) / Math.max(1, result.requests)]).sort((a, b) => b[1] - a[1]);
    measured.push({ result, cpuBreakdown, cpuUsPerRequest: cpuBreakdown.reduce((s, [, us]) => s + us, 0) });
  }
  return median(measured, (m) => m.result.requests / m.result.seconds);
}

export const median = <T>(items: T[], by: (t: T) => number): T => [...items].sort((a, b) => by(a) - by(b))[Math.floor(items.length / 2)]!;
export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
