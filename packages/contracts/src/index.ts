import path from 'node:path';

/**
 * The generated contracts, one namespace per proto package. Generated from
 * proto/ by `npm run proto:generate`; never edit src/gen by hand.
 */
export * as common from './gen/tessera/common/v1/common';
export * as events from './gen/tessera/events/v1/events';
export * as users from './gen/tessera/users/v1/users';
export * as catalog from './gen/tessera/catalog/v1/catalog';
export * as orders from './gen/tessera/orders/v1/orders';
export * as payments from './gen/tessera/payments/v1/payments';
export * as notifications from './gen/tessera/notifications/v1/notifications';

/** The proto/ folder; the same relative place from src/ and from dist/. */
export const PROTO_ROOT = path.resolve(__dirname, '..', '..', '..', 'proto');

/** Each service's .proto file (relative to PROTO_ROOT), for server reflection. */
export const protoFiles = {
  users: 'tessera/users/v1/users.proto',
  catalog: 'tessera/catalog/v1/catalog.proto',
  orders: 'tessera/orders/v1/orders.proto',
  payments: 'tessera/payments/v1/payments.proto',
  notifications: 'tessera/notifications/v1/notifications.proto',
  events: 'tessera/events/v1/events.proto',
} as const;
