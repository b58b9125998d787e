import type { ServiceTokenSigner } from '@tessera/auth';
import { serviceClients, type TesseraClient } from '@tessera/client';
import type { Registry } from 'prom-client';
import type { EdgeConfig } from './config';

/** The services, as the edge calls them: the same typed clients outside clients use, with the edge's identity. */
export type Clients = TesseraClient;

/** One long-lived client per service (built once, never per request). */
export function createClients(config: EdgeConfig, registry: Registry, identity: ServiceTokenSigner | undefined): Clients {
  return serviceClients(
    { users: config.USERS_TARGET, catalog: config.CATALOG_TARGET, orders: config.ORDERS_TARGET, payments: config.PAYMENTS_TARGET, notifications: config.NOTIFICATIONS_TARGET },
    { registry, identity, defaultDeadlineMs: config.REQUEST_BUDGET_MS },
  );
}
