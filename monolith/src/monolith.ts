/**
 * Monolith mode: the five services and the edge in one Node process, from the
 * same code as the microservices. Each part keeps its gRPC-shaped interface
 * and is called through the same typed clients, bound in-process (no socket,
 * no encoding), so no domain or handler code knows which mode it runs in.
 * Policies, deadlines, cancellation, request ids, consistency tokens, the
 * outbox relays with their leader election and the recovery workers all run
 * as they do apart.
 */
import { migrateClusters, loadDataConfig } from '@tessera/data';
import { type Hosting, type RunningService } from '@tessera/grpc-kit';
import { createLogger, type Logger } from '@tessera/logging';
import { createRegistry, startMetricsServer } from '@tessera/metrics';
import { AggregatorRegistry, Registry } from 'prom-client';
import { SERVICE_NAMES, type MonolithConfig, type ServiceName } from './config';
import { EDGE, SERVICES } from './parts';

/** Start order: each service after the ones it calls or pushes events to (users, catalog and notifications need no one). */
export const WAVES: ServiceName[][] = [['users'], ['catalog', 'notifications'], ['payments'], ['orders']];

export interface RunningMonolith {
  /** The REST port. */
  port: number;
  /** The public gRPC port. */
  grpcPort: number;
  metricsPort: number;
  stop(): Promise<void>;
}

/** Starts every part in order, the edge last; stops the edge first, then the services in reverse. */
export async function startMonolith(config: MonolithConfig, logger: Logger = createLogger({ service: 'monolith', level: config.LOG_LEVEL })): Promise<RunningMonolith> {
  if (config.MIGRATE_ON_START) logger.info({ migrations: await migrateAll(config, logger) }, 'migrations applied');
  // One registry per part, each series labelled with its part; the process metrics once, in the monolith's own.
  const own = createRegistry();
  const registries: Registry[] = [own];
  // Served from the start (a scrape merges whichever parts are up), so each part knows where it is.
  const metrics = await startMetricsServer(merged(registries), config.METRICS_PORT, config.HOST);
  const hosting = (component: string): Hosting => {
    const registry = new Registry();
    registry.setDefaultLabels({ component });
    registries.push(registry);
    return { registry, monolith: true, metricsPort: metrics.port };
  };
  const levelOf = (part: unknown) => (part as { LOG_LEVEL?: string }).LOG_LEVEL ?? config.LOG_LEVEL;
  const started: RunningService[] = [];
  const stopAll = async () => {
    for (const part of started.reverse()) await part.stop().catch((error: unknown) => logger.error({ err: error }, 'a part failed to stop'));
  };
  try {
    for (const wave of WAVES) {
      const parts = await Promise.all(wave.map((name) => SERVICES[name].start(config.services[name], createLogger({ service: name, level: levelOf(config.services[name]) }), hosting(name))));
      started.push(...parts);
    }
    const edge = await EDGE.start(config.edge, createLogger({ service: 'edge', level: config.edge.LOG_LEVEL }), hosting('edge'));
    started.push(edge);
    logger.info({ port: edge.port, grpcPort: edge.grpcPort, metricsPort: metrics.port }, 'monolith serving');
    return {
      port: edge.port,
      grpcPort: edge.grpcPort,
      metricsPort: metrics.port,
      async stop() {
        await stopAll();
        await metrics.close();
      },
    };
  } catch (error) {
    await stopAll();
    await metrics.close();
    throw error;
  }
}

/** The parts' registries as one scrape: the same families, told apart by `component`. */
function merged(registries: Registry[]): Pick<Registry, 'metrics' | 'contentType'> {
  return {
    contentType: registries[0]!.contentType,
    metrics: async () => AggregatorRegistry.aggregate(await Promise.all(registries.map((r) => r.getMetricsAsJSON()))).metrics(),
  };
}

/** `node main.js migrate`: every part's migrations, in turn (each takes its advisory lock, as apart). */
export async function migrateAll(config: MonolithConfig, logger: Logger): Promise<Record<string, unknown>> {
  const applied: Record<string, unknown> = {};
  for (const name of SERVICE_NAMES) {
    const { migrations } = SERVICES[name];
    if (!migrations) continue;
    applied[name] = await migrateClusters(loadDataConfig(config.services[name] as Parameters<typeof loadDataConfig>[0]), migrations.dir, migrations.platformSql, logger.child({ service: name }));
  }
  return applied;
}

