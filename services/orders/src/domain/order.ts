import type { PageRequest, ReadConsistency, Written } from '@tessera/data';

export type { ReadConsistency, Written };

export type OrderStatus = 'pending' | 'paid' | 'payment_failed' | 'cancelled';

export interface OrderLine {
  productId: string;
  quantity: number;
  /** Set once priced from the catalog's reservation. */
  productName?: string;
  unitPriceMinor?: number;
}

export interface Order {
  id: string;
  userId: string;
  status: OrderStatus;
  items: OrderLine[];
  priced: boolean;
  totalMinor: number;
  currency: string;
  paymentMethod: string;
  paymentId: string;
  failureReason: string;
  createdAt: Date;
  updatedAt: Date;
}

export type KeyClaim =
  /** `fresh`: the key was new, so no order can exist yet (a takeover may find one half-made). */
  | { kind: 'claimed'; orderId: string; fresh: boolean }
  | { kind: 'replay'; response: Order }
  | { kind: 'mismatch' }
  | { kind: 'in_progress' };

export interface OrderRepository {
  /** Claims (user, key) for a request; a new claim allocates the order id the request will use. */
  claimKey(userId: string, key: string, requestHash: string, leaseMs: number, deadline: number): Promise<KeyClaim>;
  completeKey(userId: string, key: string, response: Order, deadline: number): Promise<void>;
  /** Gives a claimed key back (nothing durable happened), so the client may retry with it. */
  releaseKey(userId: string, key: string, deadline: number): Promise<void>;
  find(userId: string, id: string, read: ReadConsistency & { primary?: boolean }): Promise<Order | undefined>;
  /** Several orders, each only if it belongs to the user given with it; one query per shard. */
  findMany(refs: readonly { userId: string; id: string }[], read: ReadConsistency): Promise<Order[]>;
  list(userId: string, page: PageRequest, read: ReadConsistency): Promise<{ orders: Order[]; nextPageToken: string }>;
  insertPending(order: { id: string; userId: string; items: OrderLine[]; paymentMethod: string }, deadline: number): Promise<Written<Order>>;
  /** Deletes an order still pending that nothing was reserved, charged or announced for. */
  discardPending(userId: string, id: string, deadline: number): Promise<void>;
  /** Records catalog prices and writes `order.created`; no-op if already priced. */
  price(userId: string, id: string, items: OrderLine[], totalMinor: number, currency: string, deadline: number): Promise<Written<Order>>;
  /** Moves the order between statuses with an outbox event; returns the order as it is after (moved or not). */
  transition(userId: string, id: string, from: OrderStatus[], to: OrderStatus, detail: { paymentId?: string; failureReason?: string; event: string; refunded?: boolean }, deadline: number): Promise<Written<Order>>;
  /** Orders left pending for longer than `staleMs`, leased to this caller for `leaseMs`. */
  leaseStale(cluster: string, staleMs: number, limit: number): Promise<{ userId: string; id: string }[]>;
}

export class StockUnavailable extends Error {
  override readonly name = 'StockUnavailable';
  /** `reason`: what the caller is told ("unknown product", "not enough stock", …); `violations` name the lines. */
  constructor(reason: string, readonly violations: { field: string; description: string }[]) {
    super(reason);
  }
}

/** What the saga needs from the catalog and payments services. */
export interface Catalog {
  reserve(orderId: string, lines: { productId: string; quantity: number }[], deadline: number): Promise<{ productId: string; name: string; unitPriceMinor: number; currency: string }[]>;
  release(orderId: string, deadline: number): Promise<void>;
}

export type PaymentOutcome = { kind: 'authorized'; paymentId: string } | { kind: 'declined'; paymentId: string; reason: string } | { kind: 'unknown' };

export interface Payments {
  authorize(input: { userId: string; orderId: string; amountMinor: number; currency: string; paymentMethod: string }, deadline: number): Promise<PaymentOutcome>;
  refund(userId: string, paymentId: string, deadline: number): Promise<void>;
}
