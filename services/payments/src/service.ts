import path from 'node:path';
import { payments as pb, protoFiles, PROTO_ROOT } from '@tessera/contracts';
import { loadDataConfig, ShardedDb } from '@tessera/data';
import { crashPoint, remoteCallAuthentication, serveGrpc, serviceIdentity, ownProcess, type Hosting, type RunningService } from '@tessera/grpc-kit';
import { createLogger, type Logger } from '@tessera/logging';
import { OUTBOX_SQL, startRelays } from '@tessera/outbox';
import type { PaymentsConfig } from './config';
import { paymentRepository } from './data-access/payment-repository';
import { sandboxProcessor } from './data-access/sandbox-processor';
import { paymentsHandlers } from './entry-points/grpc/payments-handlers';
import { paymentsPolicies } from './entry-points/grpc/policies';

export const MIGRATIONS_DIR = path.resolve(__dirname, '..', 'migrations');

/** Composes the service from its config and starts it; tests call this with port 0. */
export async function startPaymentsService(config: PaymentsConfig, logger: Logger = createLogger({ service: 'payments', level: config.LOG_LEVEL }), hosting: Hosting = ownProcess()): Promise<RunningService> {
  const registry = hosting.registry;
  const db = await ShardedDb.connect({ ...loadDataConfig(config), registry });
  if (config.MIGRATE_ON_START) logger.info({ migrations: await db.migrateAll(MIGRATIONS_DIR, [OUTBOX_SQL]) }, 'migrations applied');

  const identity = serviceIdentity('payments', config);
  const auth = remoteCallAuthentication(config, registry, identity);
  const relays = startRelays({ producer: 'payments', db, subscribers: config.EVENT_SUBSCRIBERS, logger, registry, identity });

  const deps = {
    payments: paymentRepository(db, (cluster) => relays.poke(cluster)),
    processor: sandboxProcessor(db, { timeoutMs: config.PROCESSOR_TIMEOUT_MS }),
    crashPoint: crashPoint(config.CRASH_AT, logger),
  };

  return serveGrpc({
    config,
    monolith: hosting.monolith,
    logger,
    registry,
    auth,
    reflection: { protoRoot: PROTO_ROOT, files: [protoFiles.payments] },
    register: (server) => {
      server.addService(pb.PaymentsServiceService, paymentsHandlers(deps), paymentsPolicies);
    },
    close: async () => {
      await relays.stop();
      auth.close();
      await db.end();
    },
  });
}

