import { catalog, notifications, orders, payments, users } from '@tessera/contracts';
import { createClient, type PromiseClient } from '@tessera/grpc-kit';
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
  const o = { registry: new Registry(), bearer: options.credential, defaultDeadlineMs: options.deadlineMs ?? 10_000, maxAttempts: options.maxAttempts ?? 4 };
  const c = {
    users: createClient(users.UsersServiceClient, users.UsersServiceService, options.target, o),
    auth: createClient(users.AuthServiceClient, users.AuthServiceService, options.target, o),
    apiKeys: createClient(users.ApiKeysServiceClient, users.ApiKeysServiceService, options.target, o),
    oauthClients: createClient(users.OAuthClientsServiceClient, users.OAuthClientsServiceService, options.target, o),
    catalog: createClient(catalog.CatalogServiceClient, catalog.CatalogServiceService, options.target, o),
    orders: createClient(orders.OrdersServiceClient, orders.OrdersServiceService, options.target, o),
    payments: createClient(payments.PaymentsServiceClient, payments.PaymentsServiceService, options.target, o),
    notifications: createClient(notifications.NotificationsServiceClient, notifications.NotificationsServiceService, options.target, o),
    webhooks: createClient(notifications.WebhooksServiceClient, notifications.WebhooksServiceService, options.target, o),
  };
  return { ...c, close: () => Object.values(c).forEach((client) => client.close()) };
}
