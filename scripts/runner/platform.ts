/**
 * The whole platform on one machine, as a handle: Postgres shards with
 * replicas, Redis, migrations, demo data, every service as a supervised
 * process and the edge. `npm start` prints it; `npm run chaos` starts it and
 * breaks its parts on purpose.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { migrateClusters, ShardMap } from '@tessera/data';
import { createServiceIdentities, freePort, peerEnv, SERVICE_NAMES, startWaves, usesRedis, type PostgresCluster, type ServiceName } from '@tessera/local-infra';
import { INBOX_SQL, OUTBOX_SQL } from '@tessera/outbox';
import { prefixedEnv } from '../../monolith/src/prefix';
import { seedDemoData } from './demo-data';
import { databaseClusters, DATABASES, loadSecrets, SHARDS, startPostgres, startRedisFor, type RunningRedis, type Secrets } from './infra';
import type { RunnerOptions } from './options';
import { step } from './progress';
import { assertPortFree, Supervisor } from './supervisor';

const ROOT = path.resolve(__dirname, '..', '..');
const MIGRATIONS: Record<string, string[]> = { users: [], catalog: [], orders: [OUTBOX_SQL], payments: [OUTBOX_SQL], notifications: [INBOX_SQL] };
const SHARD_MAP = JSON.stringify(ShardMap.even([...SHARDS]).config);

export interface Platform {
  edgeUrl: string;
  /** The public gRPC API ("127.0.0.1:50050"). */
  grpcAddress: string;
  edgeMetricsUrl: string;
  postgres: Record<string, PostgresCluster>;
  redis: RunningRedis | undefined;
  redisUrl: string;
  supervisor: Supervisor;
  secrets: Secrets;
  /** DATABASE_CLUSTERS of a service: its database's primary and replica URLs on each shard. */
  databases(service: string): { name: string; primary: string; replicas: string[] }[];
  stop(): Promise<void>;
}

export interface PlatformHooks {
  /** Where the supervisor reports exits and restarts (the console by default). */
  report?: (line: string) => void;
  /** Extra environment for every service and the edge (e.g. a fault campaign's shorter timeouts). */
  env?: Record<string, string>;
}

export async function startPlatform(options: RunnerOptions, hooks: PlatformHooks = {}): Promise<Platform> {
  if (options.fresh) rmSync(options.dataDir, { recursive: true, force: true });
  mkdirSync(path.join(options.dataDir, 'logs'), { recursive: true });
  await assertPortFree(options.port, 'the edge');
  await assertPortFree(options.grpcPort, 'the public gRPC API');
  // Sources under tsx for development; with --bundles, what the image runs.
  const entry = (dir: string) => (options.bundles ? `${dir}/dist/main.js` : `${dir}/src/main.ts`);
  // Every process takes on-demand CPU profiles into <data>/profiles: `kill -USR2 <pid>` starts one, the next writes it.
  const profiles = { CPU_PROFILE_DIR: path.join(options.dataDir, 'profiles') };
  if (options.bundles) {
    const missing = (options.monolith ? ['monolith'] : ['edge', ...SERVICE_NAMES.map((s) => `services/${s}`)]).filter((dir) => !existsSync(path.join(ROOT, entry(dir))));
    if (missing.length) throw new Error(`--bundles needs the production bundles: run \`npm run build\` first (missing: ${missing.map(entry).join(', ')})`);
  }

  const cleanups: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    })());

  try {
    const pg = await step('Postgres: 2 shards, each a primary + streaming replica', () => startPostgres(options.dataDir, options.replicaDelayMs), (c) => `${c['shard-a']!.version}${options.replicaDelayMs ? `, replicas ${options.replicaDelayMs} ms behind` : ''}`);
    cleanups.push(async () => {
      await Promise.all(Object.values(pg).map((c) => c.stop()));
    });
    const redis = await step('Redis', () => startRedisFor(options.dataDir, options.redisCluster), (r) => r?.description ?? 'redis-server not found: in-process caches and per-process rate limits');
    if (redis) cleanups.push(() => redis.stop());
    const redisUrl = redis?.url ?? 'memory://';
    const secrets = loadSecrets(options.dataDir, process.env);
    // Each process's service key, made afresh on every start (all processes start together), and the public keys they all trust.
    const identities = createServiceIdentities(path.join(options.dataDir, 'identity'));

    await step('migrations on every shard', async () => {
      for (const [service, platformSql] of Object.entries(MIGRATIONS)) {
        const clusters = JSON.parse(databaseClusters(pg, service)) as { name: string; primary: string; replicas: string[] }[];
        const shardMap = DATABASES[service]!.length > 1 ? ShardMap.even([...SHARDS]) : ShardMap.single(clusters[0]!.name);
        await migrateClusters({ clusters, shardMap }, path.join(ROOT, 'services', service, 'migrations'), platformSql);
      }
    });

    const supervisor = new Supervisor(hooks.report);
    cleanups.push(() => supervisor.stopAll());
    const ports = { users: await freePort(), catalogA: await freePort(), catalogB: await freePort(), orders: await freePort(), payments: await freePort(), notifications: await freePort() };
    const target = (...p: number[]) => (p.length > 1 ? `ipv4:${p.map((x) => `127.0.0.1:${x}`).join(',')}` : `127.0.0.1:${p[0]}`);
    // Catalog runs twice, balanced by its callers' clients; everything else once.
    const address = (service: ServiceName) => (service === 'catalog' ? target(ports.catalogA, ports.catalogB) : target(ports[service]));
    // What every service reads, but for its ports (a monolith's parts have none).
    const serviceEnv = (service: ServiceName) => ({
      GRPC_HOST: options.host,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      DRAIN_DELAY_MS: '0',
      DATABASE_CLUSTERS: databaseClusters(pg, service),
      ...(DATABASES[service]!.length > 1 ? { SHARD_MAP } : {}),
      ...(usesRedis(service) ? { REDIS_URL: redis?.urlFor(service) ?? 'memory://' } : {}),
      ...peerEnv(service, address),
      ...identities.env(service),
      ...own[service],
    });
    // What each service needs beyond its peers (which come from the topology).
    const own: Record<ServiceName, Record<string, string>> = {
      users: { JWT_SIGNING_KEYS: JSON.stringify(secrets.signingKeys), ADMIN_EMAIL: secrets.adminEmail, ADMIN_PASSWORD: secrets.adminPassword },
      catalog: {},
      notifications: { WEBHOOKS_ALLOW_HTTP: 'true', WEBHOOKS_ALLOW_PRIVATE: 'true', WEBHOOK_BACKOFF_BASE_MS: '500' },
      payments: {},
      orders: { RECOVERY_STALE_MS: '5000', RECOVERY_INTERVAL_MS: '2000' },
    };
    const edgePort = options.port === 0 ? await freePort() : options.port;
    const edgeMetricsPort = await freePort();
    const grpcPort = options.grpcPort === 0 ? await freePort() : options.grpcPort;
    const edgeEnv = {
      HOST: options.host,
      PORT: String(edgePort),
      GRPC_PORT: String(grpcPort),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      DRAIN_DELAY_MS: '0',
      REDIS_URL: redis?.urlFor('edge') ?? 'memory://',
      ...peerEnv('edge', address),
      ...identities.env('edge'),
      // Local runs sign up a user per load-test connection (`npm run load`); the seed's 20/min would stop that.
      RATE_LIMIT_AUTH: process.env.TESSERA_RATE_LIMIT_AUTH ?? '500',
      // Quotas can be raised for benchmarks (`npm run bench -- http`); the limits stay on.
      ...Object.fromEntries((['ANONYMOUS', 'USER', 'API_KEY'] as const).flatMap((k) => (process.env[`TESSERA_RATE_LIMIT_${k}`] ? [[`RATE_LIMIT_${k}`, process.env[`TESSERA_RATE_LIMIT_${k}`]!]] : []))),
    };
    const logFile = (name: string) => path.join(options.dataDir, 'logs', `${name}.log`);

    if (options.monolith) {
      // One process: each part's settings under its prefix (ORDERS__DATABASE_CLUSTERS), the rest shared.
      await step(`monolith: every service and the edge in one process, REST on http://localhost:${edgePort}, gRPC on localhost:${grpcPort}`, () =>
        supervisor.start({
          name: 'monolith',
          entry: entry('monolith'),
          port: edgePort,
          logFile: logFile('monolith'),
          metricsPort: edgeMetricsPort,
          env: {
            ...prefixedEnv({ ...Object.fromEntries(SERVICE_NAMES.map((service) => [service, serviceEnv(service)])), edge: edgeEnv }),
            HOST: options.host,
            METRICS_PORT: String(edgeMetricsPort),
            LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
            DRAIN_DELAY_MS: '0',
            SERVICE_TRUST_DIR: identities.env('edge').SERVICE_TRUST_DIR,
            ...profiles,
            ...hooks.env,
          },
        }),
      );
      // No service listens on a port of its own: the demo data goes in through the public gRPC API.
      await step('demo data', () => seedDemoData({ users: `127.0.0.1:${grpcPort}`, catalog: `127.0.0.1:${grpcPort}` }, { email: secrets.adminEmail, password: secrets.adminPassword }), (r) => `${r.products ? `${r.products} products, ` : ''}user ${r.demoUser}`);
    } else {
      const instances = (service: ServiceName): [string, number][] => (service === 'catalog' ? [['catalog-1', ports.catalogA], ['catalog-2', ports.catalogB]] : [[service, ports[service]]]);
      await step('services (users, catalog ×2, payments, notifications, orders)', async () => {
        // Each service starts once everything it calls or pushes events to is up (the topology's order), independent ones together.
        for (const wave of startWaves()) {
          await Promise.all(
            wave.flatMap((service) =>
              instances(service).map(async ([name, port]) => {
                const metricsPort = await freePort();
                await supervisor.start({ name, entry: entry(`services/${service}`), port, metricsPort, logFile: logFile(name), env: { ...serviceEnv(service), GRPC_PORT: String(port), METRICS_PORT: String(metricsPort), ...profiles, ...hooks.env } });
              }),
            ),
          );
        }
      });

      await step('demo data', () => seedDemoData({ users: target(ports.users), catalog: target(ports.catalogA, ports.catalogB) }, { email: secrets.adminEmail, password: secrets.adminPassword }), (r) => `${r.products ? `${r.products} products, ` : ''}user ${r.demoUser}`);

      await step(`edge: REST on http://localhost:${edgePort}, gRPC on localhost:${grpcPort}`, () =>
        supervisor.start({ name: 'edge', entry: entry('edge'), port: edgePort, metricsPort: edgeMetricsPort, logFile: logFile('edge'), env: { ...edgeEnv, METRICS_PORT: String(edgeMetricsPort), ...profiles, ...hooks.env } }),
      );
    }

    return {
      edgeUrl: `http://127.0.0.1:${edgePort}`,
      grpcAddress: `127.0.0.1:${grpcPort}`,
      edgeMetricsUrl: `http://127.0.0.1:${edgeMetricsPort}/metrics`,
      postgres: pg,
      redis,
      redisUrl,
      supervisor,
      secrets,
      databases: (service) => JSON.parse(databaseClusters(pg, service)) as { name: string; primary: string; replicas: string[] }[],
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
