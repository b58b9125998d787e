import { catalog, notifications, orders, payments, users } from '@tessera/contracts';
import { createClient, type ClientOptions, type PromiseClient } from '@tessera/grpc-kit';
import { Registry } from 'prom-client';

export { catalog, notifications, orders, payments, users } from '@tessera/contracts';
export { GrpcStatus, MetadataKeys, type CallOptions, type ServiceError } from '@tessera/grpc-kit';

export interface ConnectOptions {
  /** The public gRPC address, e.g. "localhost:50050" (`npm start` prints it), or behind the cluster's gateway. */
  target: string;
  /** An access token (from login or the client-credentials grant) or an API key (`tsk_…`); omitted: public methods only. */
  credential?: string;
  /** Deadline of a call that sets none (default 10 s); every call has one. */
  deadlineMs?: number;
  /** Attempts per call when the server answers UNAVAILABLE (nothing was processed, so any method is safe to retry); at most 5. */
  maxAttempts?: number;
}

/** One typed client per public service, each method `(request, options?) => Promise<response>`. */
export interface TesseraClient {
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

/**
 * A client of Tessera's public gRPC API. Every call carries the credential
 * (as `authorization: Bearer …`; a call's own `bearer` option overrides it),
 * a deadline, and is retried on UNAVAILABLE with backoff (gRFC A6); the
 * channel balances over every address the target resolves to and keeps
 * itself alive with pings. Errors are grpc-js ServiceErrors: the code, a
 * message for people, and for INVALID_ARGUMENT the field violations as JSON
 * in the `x-field-violations-bin` trailer.
 */
export function connect(options: ConnectOptions): TesseraClient {
  const target = options.target;
  return serviceClients({ users: target, catalog: target, orders: target, payments: target, notifications: target }, { registry: new Registry(), bearer: options.credential, defaultDeadlineMs: options.deadlineMs ?? 10_000, maxAttempts: options.maxAttempts ?? 4 });
}

/**
 * The same clients with an address per service: what the edge uses inside the
 * platform (each service's own address, the edge's service identity).
 */
export function serviceClients(targets: Record<'users' | 'catalog' | 'orders' | 'payments' | 'notifications', string>, o: ClientOptions): TesseraClient {
  const c = {
    users: createClient(users.UsersServiceClient, users.UsersServiceService, targets.users, o),
    auth: createClient(users.AuthServiceClient, users.AuthServiceService, targets.users, o),
    apiKeys: createClient(users.ApiKeysServiceClient, users.ApiKeysServiceService, targets.users, o),
    oauthClients: createClient(users.OAuthClientsServiceClient, users.OAuthClientsServiceService, targets.users, o),
    catalog: createClient(catalog.CatalogServiceClient, catalog.CatalogServiceService, targets.catalog, o),
    orders: createClient(orders.OrdersServiceClient, orders.OrdersServiceService, targets.orders, o),
    payments: createClient(payments.PaymentsServiceClient, payments.PaymentsServiceService, targets.payments, o),
    notifications: createClient(notifications.NotificationsServiceClient, notifications.NotificationsServiceService, targets.notifications, o),
    webhooks: createClient(notifications.WebhooksServiceClient, notifications.WebhooksServiceService, targets.notifications, o),
  };
  return { ...c, close: () => Object.values(c).forEach((client) => client.close()) };
}
