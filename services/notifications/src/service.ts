import { promises as dns } from 'node:dns';
import path from 'node:path';
import { events as eventsPb, notifications as pb, protoFiles, PROTO_ROOT } from '@tessera/contracts';
import { loadDataConfig, ShardedDb } from '@tessera/data';
import { remoteCallAuthentication, serveGrpc, serviceIdentity, ownProcess, type Hosting, type RunningService } from '@tessera/grpc-kit';
import { createLogger, type Logger } from '@tessera/logging';
import { INBOX_SQL } from '@tessera/outbox';
import type { NotificationsConfig } from './config';
import { inboxRepository } from './data-access/inbox-repository';
import { deliveryRepository } from './data-access/delivery-repository';
import { webhookRepository } from './data-access/webhook-repository';
import { eventConsumerHandlers, notificationsHandlers, webhooksHandlers } from './entry-points/grpc/handlers';
import { eventConsumerPolicies, notificationsPolicies, webhooksPolicies } from './entry-points/grpc/policies';
import { WebhookDispatcher } from './workers/webhook-dispatcher';

export const MIGRATIONS_DIR = path.resolve(__dirname, '..', 'migrations');

/** Composes the service from its config and starts it; tests call this with port 0. */
export async function startNotificationsService(config: NotificationsConfig, logger: Logger = createLogger({ service: 'notifications', level: config.LOG_LEVEL }), hosting: Hosting = ownProcess()): Promise<RunningService> {
  const registry = hosting.registry;
  const db = await ShardedDb.connect({ ...loadDataConfig(config), registry });
  if (config.MIGRATE_ON_START) logger.info({ migrations: await db.migrateAll(MIGRATIONS_DIR, [INBOX_SQL]) }, 'migrations applied');

  const policy = { allowHttp: config.WEBHOOKS_ALLOW_HTTP, allowPrivate: config.WEBHOOKS_ALLOW_PRIVATE };
  const dispatchers = new Map(
    db.clusters.map((cluster) => [
      cluster.name,
      new WebhookDispatcher({ deliveries: deliveryRepository(cluster), logger, registry, policy, maxAgeMs: config.WEBHOOK_MAX_AGE_MS, backoffBaseMs: config.WEBHOOK_BACKOFF_BASE_MS, requestTimeoutMs: config.WEBHOOK_TIMEOUT_MS }),
    ]),
  );
  dispatchers.forEach((d) => d.start());
  const inbox = inboxRepository(db, (cluster) => dispatchers.get(cluster)?.poke());
  const resolve = async (host: string) => (await dns.lookup(host, { all: true })).map((a) => a.address);

  const auth = remoteCallAuthentication(config, registry, serviceIdentity('notifications', config));

  return serveGrpc({
    config,
    monolith: hosting.monolith,
    logger,
    registry,
    auth,
    reflection: { protoRoot: PROTO_ROOT, files: [protoFiles.notifications, protoFiles.events] },
    register: (server) => {
      server
        .addService(pb.NotificationsServiceService, notificationsHandlers({ inbox }), notificationsPolicies)
        .addService(pb.WebhooksServiceService, webhooksHandlers({ webhooks: webhookRepository(db), policy, resolve }), webhooksPolicies)
        .addService(eventsPb.EventConsumerServiceService, eventConsumerHandlers({ inbox }), eventConsumerPolicies);
    },
    close: async () => {
      await Promise.all([...dispatchers.values()].map((d) => d.stop()));
      auth.close();
      await db.end();
    },
  });
}

