/**
 * `npm run chaos`: the fault campaign against the local platform. Starts it
 * as `npm start` does (with a Redis Cluster), signs up buyers on both
 * shards, and runs each fault under a bounded load, then malformed input and
 * overload; reconciles every write against the databases; prints a Markdown
 * table, writes JSON, and exits 1 when an invariant breaks.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { hasRedisServer } from '../runner/infra';
import { startPlatform } from '../runner/platform';
import { formatReport, runCampaign } from './campaign';
import { allFaults } from './faults';
import { prepareWorld } from './workload';

const HELP = `npm run chaos -- [options]

  --short            the CI version: four faults with shorter holds, fewer malformed requests, no overload
  --only NAME        run only the faults whose name contains NAME (e.g. --only primary), or 'overload'
  --data-dir DIR     where the platform keeps its data (default: a new folder under the system's temp dir)
  --json FILE        where the JSON report goes (default: <data-dir>/chaos-report.json)
  -h, --help         this text

Faults: SIGKILL of orders and payments, SIGSTOP of a catalog process, a shard
primary stopped and restarted, a replica stopped, every Redis node paused, a
Redis Cluster node lost, the edge's SIGTERM under load; then malformed
requests to every documented operation and a 5x overload.
`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ options: { short: { type: 'boolean' }, only: { type: 'string' }, 'data-dir': { type: 'string' }, json: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const short = values.short ?? false;
  const redisCluster = hasRedisServer();
  const only = values.only?.toLowerCase();
  const faults = allFaults({ short, redisCluster }).filter((f) => !only || f.name.toLowerCase().includes(only));
  const withOverload = !short && (!only || only === 'overload');
  if (!faults.length && !withOverload) {
    process.stderr.write(`no fault matches --only ${values.only}\n`);
    return 2;
  }
  const dataDir = path.resolve(values['data-dir'] ?? path.join(tmpdir(), `tessera-chaos-${process.pid}`));
  mkdirSync(dataDir, { recursive: true });
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const exits: string[] = [];
  const platform = await startPlatform(
    { port: 0, grpcPort: 0, dataDir, fresh: true, replicaDelayMs: 0, redisCluster, host: '127.0.0.1', bundles: false, monolith: false, monitoring: false },
    {
      report: (line) => exits.push(line.trim()),
      // The campaign's own traffic must not be rate-limited; the limits stay on.
      env: { RATE_LIMIT_ANONYMOUS: '1000000', RATE_LIMIT_USER: '1000000', RATE_LIMIT_AUTH: '100000', RATE_LIMIT_AUTH_FAILURES: '100000', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    },
  );
  try {
    const world = await prepareWorld(platform.edgeUrl, { email: platform.secrets.adminEmail, password: platform.secrets.adminPassword }, 3);
    log(`${world.buyers.length} buyers (${world.buyers.filter((b) => b.cluster === 'shard-a').length} on shard-a, ${world.buyers.filter((b) => b.cluster === 'shard-b').length} on shard-b), ${world.products.length} products`);
    const report = await runCampaign(platform, world, {
      faults,
      connections: 8,
      leadMs: short ? 2_000 : 3_000,
      trailMs: short ? 6_000 : 10_000,
      badInputRuns: short ? 150 : 600,
      ...(withOverload ? { overload: { startConnections: 8, maxConnections: 128, stepMs: 8_000, factor: 5, durationMs: 20_000 } } : {}),
      log,
    });
    const json = path.resolve(values.json ?? path.join(dataDir, 'chaos-report.json'));
    writeFileSync(json, JSON.stringify({ ...report, supervisor: exits }, null, 2));
    log(`\n${formatReport(report)}\n\nJSON: ${json}\nlogs: ${path.join(dataDir, 'logs')}`);
    return report.violations.length ? 1 : 0;
  } finally {
    await platform.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`chaos: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
