export { OUTBOX_SQL, INBOX_SQL } from './sql';
export { enqueueEvent, outboxInsertFrom, type NewEvent } from './enqueue';
export { OutboxRelay, type OutboxEvent, type RelayOptions } from './relay';
export { grpcDelivery, parseSubscribers, type Subscriber } from './grpc-delivery';
export { startRelays, type Relays } from './relays';
