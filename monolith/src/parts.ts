import path from 'node:path';
import type { Hosting, RunningService } from '@tessera/grpc-kit';
import type { Logger } from '@tessera/logging';
import { INBOX_SQL, OUTBOX_SQL } from '@tessera/outbox';
import { loadEdgeConfig } from '../../edge/src/config';
import { startEdge, type RunningEdge } from '../../edge/src/edge';
import { loadCatalogConfig } from '../../services/catalog/src/config';
import { startCatalogService } from '../../services/catalog/src/service';
import { loadNotificationsConfig } from '../../services/notifications/src/config';
import { startNotificationsService } from '../../services/notifications/src/service';
import { loadOrdersConfig } from '../../services/orders/src/config';
import { startOrdersService } from '../../services/orders/src/service';
import { loadPaymentsConfig } from '../../services/payments/src/config';
import { startPaymentsService } from '../../services/payments/src/service';
import { loadUsersConfig } from '../../services/users/src/config';
import { startUsersService } from '../../services/users/src/service';

/**
 * One part of the monolith: a service's own config loader and start function,
 * exactly what its main.ts runs as a process of its own.
 */
export interface Part<C = unknown> {
  load(source: Record<string, string | undefined>): C;
  start(config: C, logger: Logger, hosting: Hosting): Promise<RunningService>;
  /** Its migrations (beside the service's sources, and staged at the same place in the image) and the platform's SQL it needs. */
  migrations?: { dir: string; platformSql: string[] };
}

const part = <C>(p: Part<C>): Part => p as Part;
// The bundle sits at monolith/dist/main.js, the sources at monolith/src: both two levels below the root.
const migrationsOf = (service: string) => path.resolve(__dirname, '..', '..', 'services', service, 'migrations');

export const SERVICES = {
  users: part({ load: loadUsersConfig, start: startUsersService, migrations: { dir: migrationsOf('users'), platformSql: [] } }),
  catalog: part({ load: loadCatalogConfig, start: startCatalogService, migrations: { dir: migrationsOf('catalog'), platformSql: [] } }),
  orders: part({ load: loadOrdersConfig, start: startOrdersService, migrations: { dir: migrationsOf('orders'), platformSql: [OUTBOX_SQL] } }),
  payments: part({ load: loadPaymentsConfig, start: startPaymentsService, migrations: { dir: migrationsOf('payments'), platformSql: [OUTBOX_SQL] } }),
  notifications: part({ load: loadNotificationsConfig, start: startNotificationsService, migrations: { dir: migrationsOf('notifications'), platformSql: [INBOX_SQL] } }),
};

export const EDGE = {
  load: loadEdgeConfig,
  start: (config: ReturnType<typeof loadEdgeConfig>, logger: Logger, hosting: Hosting): Promise<RunningEdge> => startEdge(config, logger, hosting),
};
