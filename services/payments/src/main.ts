import path from 'node:path';
import { payments as pb, protoFiles, PROTO_ROOT } from '@tessera/contracts';
import { loadDataConfig, migrateClusters, ShardedDb } from '@tessera/data';
import { runMain, serveGrpc, type RunningService } from '@tessera/grpc-kit';
import { createLogger, type Logger } from '@tessera/logging';
import { createRegistry } from '@tessera/metrics';
import { grpcDelivery, OUTBOX_SQL, OutboxRelay, parseSubscribers } from '@tessera/outbox';
import { loadPaymentsConfig, type PaymentsConfig } from './config';
import { paymentRepository } from './data-access/payment-repository';
import { sandboxProcessor } from './data-access/sandbox-processor';
import { paymentsHandlers } from './entry-points/grpc/payments-handlers';

export const MIGRATIONS_DIR = path.resolve(__dirname, '..', 'migrations');

/** Composes the service from its config and starts it; tests call this with port 0. */
export async function startPaymentsService(config: PaymentsConfig, logger: Logger = createLogger({ service: 'payments', level: config.LOG_LEVEL })): Promise<RunningService> {
  const registry = createRegistry();
  const db = await ShardedDb.connect({ ...loadDataConfig(config), registry });
  if (config.MIGRATE_ON_START) logger.info({ migrations: await db.migrateAll(MIGRATIONS_DIR, [OUTBOX_SQL]) }, 'migrations applied');

  const delivery = grpcDelivery(parseSubscribers(config.EVENT_SUBSCRIBERS), registry);
  const relays = new Map(db.clusters.map((cluster) => [cluster.name, new OutboxRelay({ producer: 'payments', cluster, deliver: delivery.deliver, logger, registry })]));
  relays.forEach((r) => r.start());

  const crashPoint = (name: string) => {
    if (config.CRASH_AT === name) {
      logger.warn({ crashPoint: name }, 'CRASH_AT reached: killing the process');
      process.kill(process.pid, 'SIGKILL');
    }
  };
  const deps = {
    payments: paymentRepository(db, (cluster) => relays.get(cluster)?.poke()),
    processor: sandboxProcessor(db, { timeoutMs: config.PROCESSOR_TIMEOUT_MS }),
    crashPoint,
  };

  return serveGrpc({
    config,
    logger,
    registry,
    reflection: { protoRoot: PROTO_ROOT, files: [protoFiles.payments] },
    register: (server) => {
      server.addService(pb.PaymentsServiceService, paymentsHandlers(deps));
    },
    close: async () => {
      await Promise.all([...relays.values()].map((r) => r.stop()));
      delivery.close();
      await db.end();
    },
  });
}

if (require.main === module) runMain('payments', loadPaymentsConfig, startPaymentsService, (config) => migrateClusters(loadDataConfig(config), MIGRATIONS_DIR, [OUTBOX_SQL]));
