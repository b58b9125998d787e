import { catalog, notifications, orders, payments, users } from '@tessera/contracts';
import type { ServiceTokenSigner } from '@tessera/auth';
import { createClient, type PromiseClient } from '@tessera/grpc-kit';
import type { Registry } from 'prom-client';
import type { EdgeConfig } from './config';

export interface Clients {
  users: PromiseClient<users.UsersServiceClient>;
  auth: PromiseClient<users.AuthServiceClient>;
  apiKeys: PromiseClient<users.ApiKeysServiceClient>;
  oauthClients: PromiseClient<users.OAuthClientsServiceClient>;
  catalog: PromiseClient<catalog.CatalogServiceClient>;
  orders: PromiseClient<orders.OrdersServiceClient>;
  payments: PromiseClient<payments.PaymentsServiceClient>;
  notifications: PromiseClient<notifications.NotificationsServiceClient>;
  webhooks: PromiseClient<notifications.WebhooksServiceClient>;
  close(): void;
}

/** One long-lived client per service (built once, never per request). */
export function createClients(config: EdgeConfig, registry: Registry, identity: ServiceTokenSigner | undefined): Clients {
  const o = { registry, identity, defaultDeadlineMs: config.REQUEST_BUDGET_MS };
  const c: Omit<Clients, 'close'> = {
    users: createClient(users.UsersServiceClient, users.UsersServiceService, config.USERS_TARGET, o),
    auth: createClient(users.AuthServiceClient, users.AuthServiceService, config.USERS_TARGET, o),
    apiKeys: createClient(users.ApiKeysServiceClient, users.ApiKeysServiceService, config.USERS_TARGET, o),
    oauthClients: createClient(users.OAuthClientsServiceClient, users.OAuthClientsServiceService, config.USERS_TARGET, o),
    catalog: createClient(catalog.CatalogServiceClient, catalog.CatalogServiceService, config.CATALOG_TARGET, o),
    orders: createClient(orders.OrdersServiceClient, orders.OrdersServiceService, config.ORDERS_TARGET, o),
    payments: createClient(payments.PaymentsServiceClient, payments.PaymentsServiceService, config.PAYMENTS_TARGET, o),
    notifications: createClient(notifications.NotificationsServiceClient, notifications.NotificationsServiceService, config.NOTIFICATIONS_TARGET, o),
    webhooks: createClient(notifications.WebhooksServiceClient, notifications.WebhooksServiceService, config.NOTIFICATIONS_TARGET, o),
  };
  return { ...c, close: () => Object.values(c).forEach((client) => client.close()) };
}
