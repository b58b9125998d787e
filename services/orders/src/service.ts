import path from 'node:path';
import { orders as pb, protoFiles, PROTO_ROOT } from '@tessera/contracts';
import { loadDataConfig, ShardedDb } from '@tessera/data';
import { crashPoint, remoteCallAuthentication, serveGrpc, serviceIdentity, ownProcess, type Hosting, type RunningService } from '@tessera/grpc-kit';
import { createLogger, type Logger } from '@tessera/logging';
import { OUTBOX_SQL, startRelays } from '@tessera/outbox';
import type { OrdersConfig } from './config';
import { orderRepository } from './data-access/order-repository';
import { catalogClient, paymentsClient } from './data-access/service-clients';
import { ordersHandlers } from './entry-points/grpc/orders-handlers';
import { ordersPolicies } from './entry-points/grpc/policies';
import { startRecoveryWorker } from './workers/recovery-worker';

export const MIGRATIONS_DIR = path.resolve(__dirname, '..', 'migrations');

/** Composes the service from its config and starts it; tests call this with port 0. */
export async function startOrdersService(config: OrdersConfig, logger: Logger = createLogger({ service: 'orders', level: config.LOG_LEVEL }), hosting: Hosting = ownProcess()): Promise<RunningService> {
  const registry = hosting.registry;
  const db = await ShardedDb.connect({ ...loadDataConfig(config), registry });
  if (config.MIGRATE_ON_START) logger.info({ migrations: await db.migrateAll(MIGRATIONS_DIR, [OUTBOX_SQL]) }, 'migrations applied');

  const identity = serviceIdentity('orders', config);
  const auth = remoteCallAuthentication(config, registry, identity);
  const relays = startRelays({ producer: 'orders', db, subscribers: config.EVENT_SUBSCRIBERS, logger, registry, identity });

  const catalog = catalogClient(config.CATALOG_TARGET, registry, identity);
  const payments = paymentsClient(config.PAYMENTS_TARGET, registry, config.PAYMENT_TIMEOUT_MS, identity);
  const deps = {
    orders: orderRepository(db, { keyTtlMs: config.IDEMPOTENCY_KEY_TTL_MS, onEvent: (cluster: string) => relays.poke(cluster) }),
    catalog,
    payments,
    keyLeaseMs: config.IDEMPOTENCY_LEASE_MS,
    crashPoint: crashPoint(config.CRASH_AT, logger),
  };

  const recovery = startRecoveryWorker({ clusters: db.clusters.map((c) => c.name), deps, logger, staleMs: config.RECOVERY_STALE_MS, intervalMs: config.RECOVERY_INTERVAL_MS });

  return serveGrpc({
    config,
    monolith: hosting.monolith,
    // Kept answering longest under load: signing in and checking an order's status.
    criticalMethods: ['GetOrder', 'BatchGetOrders'],
    logger,
    registry,
    auth,
    reflection: { protoRoot: PROTO_ROOT, files: [protoFiles.orders] },
    register: (server) => {
      server.addService(pb.OrdersServiceService, ordersHandlers(deps), ordersPolicies);
    },
    close: async () => {
      await recovery.stop();
      await relays.stop();
      catalog.close();
      payments.close();
      auth.close();
      await db.end();
    },
  });
}

