/**
 * A real Prometheus (the `prometheus` binary, e.g. Debian's package) scraping
 * the local platform with the labels the chart's ServiceMonitors give its
 * series in a cluster (namespace, job and service = the Kubernetes Service,
 * pod, instance), so the chart's dashboards and alerts read the same series
 * here as there. `npm start -- --monitoring` runs it; the dashboards test
 * evaluates every panel through it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, waitFor } from '@tessera/local-infra';

/** The namespace the local platform's series carry, as if the chart were installed into `tessera`. */
export const LOCAL_NAMESPACE = 'tessera';

export interface ScrapeTarget {
  /** The process ("catalog-1", "edge", "monolith"). */
  name: string;
  metricsPort: number;
}

export interface RunningPrometheus {
  url: string;
  stop(): Promise<void>;
}

/** The chart's Service for a process: its name without the instance number ("catalog-2" → tessera-catalog). */
export const serviceOf = (name: string) => `tessera-${name.replace(/-\d+$/, '')}`;

/** prometheus.yml: one job per Service, a target per process, labelled as a ServiceMonitor would label it. */
export function prometheusConfig(targets: readonly ScrapeTarget[], scrapeIntervalS: number): string {
  const jobs = new Map<string, ScrapeTarget[]>();
  for (const t of targets) jobs.set(serviceOf(t.name), [...(jobs.get(serviceOf(t.name)) ?? []), t]);
  const lines = ['global:', `  scrape_interval: ${scrapeIntervalS}s`, `  evaluation_interval: ${scrapeIntervalS}s`, 'scrape_configs:'];
  for (const [job, members] of jobs) {
    lines.push(`  - job_name: ${job}`, '    static_configs:');
    for (const t of members) {
      lines.push(`      - targets: ['127.0.0.1:${t.metricsPort}']`, `        labels: { namespace: ${LOCAL_NAMESPACE}, service: ${job}, pod: ${t.name}, endpoint: metrics }`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Starts Prometheus on a free port (or `port`) over `dir`; fails with an install hint when the binary is missing. */
export async function startPrometheus(options: { dir: string; targets: readonly ScrapeTarget[]; scrapeIntervalS?: number; port?: number; binary?: string }): Promise<RunningPrometheus> {
  mkdirSync(path.join(options.dir, 'data'), { recursive: true });
  const config = path.join(options.dir, 'prometheus.yml');
  writeFileSync(config, prometheusConfig(options.targets, options.scrapeIntervalS ?? 5));
  const port = options.port ?? (await freePort());
  const log = openSync(path.join(options.dir, 'prometheus.log'), 'a');
  let child: ChildProcess;
  try {
    child = spawn(options.binary ?? 'prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${path.join(options.dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=1d'], { stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once('error', resolve);
    setTimeout(() => resolve(undefined), 100);
  });
  if (spawned) throw new Error((spawned as NodeJS.ErrnoException).code === 'ENOENT' ? 'the prometheus binary is not on PATH (Debian: apt-get install prometheus)' : spawned.message);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`prometheus on ${url} (log: ${path.join(options.dir, 'prometheus.log')})`, async () => {
    if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}); see ${path.join(options.dir, 'prometheus.log')}`);
    const res = await fetch(`${url}/-/ready`).catch(() => undefined);
    return res?.ok ? true : undefined;
  }, 30_000);
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
