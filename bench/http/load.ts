import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface LoadSpec {
  base: string;
  /** Request paths, one picked at random per request. */
  paths: readonly string[];
  method?: 'GET' | 'POST';
  authorization?: string;
  /** For POST /orders: product ids, one picked at random per order. */
  products?: readonly string[];
  connections: number;
  durationS: number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  /** Non-2xx answers plus socket errors. */
  errors: number;
  p50Ms: number;
  p99Ms: number;
}

let runs = 0;
const dir = mkdtempSync(path.join(tmpdir(), 'tessera-bench-'));

export function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk --version exits 1 after printing its banner.
    return (error as { status?: number }).status === 1;
  }
}

/**
 * Drives one workload with wrk (one thread: the load generator must leave the
 * two cores to the system under test) and a Lua script that picks a random
 * path per request. Latency percentiles are wrk's (coordinated-omission naive,
 * as wrk 4 is; the same for every system in the table).
 */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const run = ++runs;
  const pathsFile = path.join(dir, `paths-${run}.txt`);
  writeFileSync(pathsFile, `${spec.paths.join('\n')}\n`);
  const env: Record<string, string> = { ...process.env, BENCH_PATHS: pathsFile, BENCH_METHOD: spec.method ?? 'GET', BENCH_RUN: `${process.pid}-${run}` } as Record<string, string>;
  if (spec.authorization) env.BENCH_AUTH = spec.authorization;
  if (spec.products) {
    const productsFile = path.join(dir, `products-${run}.txt`);
    writeFileSync(productsFile, `${spec.products.join('\n')}\n`);
    env.BENCH_PRODUCTS = productsFile;
  }
  const args = ['-t1', `-c${spec.connections}`, `-d${spec.durationS}s`, '--timeout', '10s', '-s', path.join(__dirname, 'wrk-script.lua'), spec.base];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn('wrk', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk exited ${code}: ${out}`))));
  });
  const line = /BENCH_JSON (\{.*\})/.exec(output)?.[1];
  if (!line) throw new Error(`wrk printed no result: ${output}`);
  const r = JSON.parse(line) as { requests: number; durationUs: number; non2xx: number; socketErrors: number; p50Us: number; p99Us: number };
  return { requests: r.requests, seconds: r.durationUs / 1e6, errors: r.non2xx + r.socketErrors, p50Ms: r.p50Us / 1000, p99Ms: r.p99Us / 1000 };
}
