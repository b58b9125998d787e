import { createHash } from 'node:crypto';
import { AppError, Code, Reason, type FieldViolation } from '@tessera/errors';
import type { PageRequest } from '@tessera/data';
import { StockUnavailable, type Catalog, type Order, type OrderLine, type OrderRepository, type Payments, type ReadConsistency, type Written } from './order';

export interface OrdersDeps {
  orders: OrderRepository;
  catalog: Catalog;
  payments: Payments;
  /** How long a request holds its idempotency key before another may take over. */
  keyLeaseMs: number;
  /** Test hook for crash tests; a no-op in production. */
  crashPoint: (name: string) => void;
}

const METHOD = /^pm_[a-z0-9_]{1,60}$/;
const KEY = /^[\x21-\x7e]{1,255}$/;

function validate(input: { items: { productId: string; quantity: number }[]; paymentMethod: string; key: string }): void {
  const v: FieldViolation[] = [];
  if (input.items.length < 1 || input.items.length > 50) v.push({ field: '/items', description: 'must have 1 to 50 items' });
  const seen = new Set<string>();
  input.items.forEach((item, i) => {
    if (!Number.isSafeInteger(item.quantity) || item.quantity < 1 || item.quantity > 1_000) v.push({ field: `/items/${i}/quantity`, description: 'must be a whole number from 1 to 1,000' });
    if (seen.has(item.productId)) v.push({ field: `/items/${i}/product_id`, description: 'each product at most once' });
    seen.add(item.productId);
  });
  if (!METHOD.test(input.paymentMethod)) v.push({ field: '/payment_method', description: 'must be a payment method token like "pm_card_ok"' });
  if (!KEY.test(input.key)) v.push({ field: '/idempotency_key', description: '1 to 255 visible ASCII characters' });
  if (v.length > 0) throw AppError.invalidArgument('request has invalid fields', v);
}

/**
 * POST /orders: claim the Idempotency-Key, write the order PENDING, and run
 * the saga as far as it goes. A replay answers with the same order, as it is now; the same
 * key with another request is refused; a concurrent duplicate is ABORTED.
 * `token` is the newest write's consistency token ('' when nothing was written).
 */
export async function createOrder(
  input: { userId: string; items: { productId: string; quantity: number }[]; paymentMethod: string; key: string },
  deps: OrdersDeps,
  deadline: number,
): Promise<{ order: Order; replayed: boolean; token: string }> {
  validate(input);
  const requestHash = createHash('sha256').update(JSON.stringify([input.items.map((i) => [i.productId, i.quantity]), input.paymentMethod])).digest('hex');
  const claim = await deps.orders.claimKey(input.userId, input.key, requestHash, deps.keyLeaseMs, deadline);
  if (claim.kind === 'replay') {
    // The same order as the first answer, as it is now: a client retrying after a lost answer
    // learns that its order was paid since, not the pending it would have seen then.
    const current = await deps.orders.find(input.userId, claim.response.id, { tokens: [], deadline, primary: true });
    return { order: current ?? claim.response, replayed: true, token: '' };
  }
  if (claim.kind === 'mismatch') throw AppError.failedPrecondition('this Idempotency-Key was used with a different request', Reason.IDEMPOTENCY_KEY_REUSED);
  if (claim.kind === 'in_progress') throw AppError.aborted('a request with this Idempotency-Key is still in progress');

  // A fresh claim has no order yet; a takeover continues whatever the dead request left.
  const existing = claim.fresh ? undefined : await deps.orders.find(input.userId, claim.orderId, { tokens: [], deadline, primary: true });
  const pending = existing ? { value: existing, token: '' } : await deps.orders.insertPending({ id: claim.orderId, userId: input.userId, items: input.items, paymentMethod: input.paymentMethod }, deadline);
  let result: Written<Order>;
  try {
    result = await advance(pending.value, deps, deadline);
  } catch (error) {
    if (error instanceof StockUnavailable) {
      // Nothing was reserved, charged or announced: the order never was (the caller is told so, and will
      // not find it in its list), and the key is free for a corrected retry.
      await deps.orders.discardPending(pending.value.userId, pending.value.id, deadline);
      await deps.orders.releaseKey(input.userId, input.key, deadline);
      throw new AppError(Code.FAILED_PRECONDITION, error.message, error.violations.map((v) => ({ field: v.field.replace('/lines', '/items'), description: v.description })));
    }
    // Catalog or payments unreachable: the order stays pending for the recovery worker; the key lease lapses.
    throw error;
  }
  await deps.orders.completeKey(input.userId, input.key, result.value, deadline);
  return { order: result.value, replayed: false, token: result.token || pending.token };
}

/**
 * Moves a pending order forward: price it from a stock reservation (by order
 * id, idempotent), authorize payment (keyed by the order id, idempotent), and
 * settle. Safe to run again from any point, by a retry or the recovery
 * worker: every step is idempotent and every settle is conditional. Returns
 * the order as it now is, with the newest write's token ('' if none).
 */
export async function advance(order: Order, deps: Omit<OrdersDeps, 'keyLeaseMs'>, deadline: number): Promise<Written<Order>> {
  if (order.status !== 'pending') return { value: order, token: '' };
  let current = order;
  let token = '';
  if (!current.priced) {
    const priced = await deps.catalog.reserve(current.id, current.items.map(({ productId, quantity }) => ({ productId, quantity })), deadline);
    const currencies = new Set(priced.map((p) => p.currency));
    if (currencies.size !== 1) {
      await deps.catalog.release(current.id, deadline);
      throw new StockUnavailable('items priced in more than one currency', [{ field: '/items', description: 'all items must be priced in one currency' }]);
    }
    const byId = new Map(priced.map((p) => [p.productId, p]));
    const items: OrderLine[] = current.items.map((line) => ({ ...line, productName: byId.get(line.productId)!.name, unitPriceMinor: byId.get(line.productId)!.unitPriceMinor }));
    const total = items.reduce((sum, l) => sum + l.unitPriceMinor! * l.quantity, 0);
    ({ value: current, token } = await deps.orders.price(current.userId, current.id, items, total, [...currencies][0]!, deadline));
    deps.crashPoint('after_order_commit');
  }
  const outcome = await deps.payments.authorize({ userId: current.userId, orderId: current.id, amountMinor: current.totalMinor, currency: current.currency, paymentMethod: current.paymentMethod }, deadline);
  if (outcome.kind === 'unknown') return { value: current, token };
  if (outcome.kind === 'authorized') {
    return deps.orders.transition(current.userId, current.id, ['pending'], 'paid', { paymentId: outcome.paymentId, event: 'order.paid' }, deadline);
  }
  await deps.catalog.release(current.id, deadline);
  return deps.orders.transition(current.userId, current.id, ['pending'], 'payment_failed', { paymentId: outcome.paymentId, failureReason: outcome.reason, event: 'order.payment_failed' }, deadline);
}

/** Cancels: a paid order is refunded (once, by key) and its stock released; cancelling twice changes nothing. */
export async function cancelOrder(userId: string, id: string, deps: Omit<OrdersDeps, 'keyLeaseMs'>, deadline: number): Promise<Written<Order>> {
  const order = await getOrder(userId, id, deps, { tokens: [], deadline, primary: true });
  switch (order.status) {
    case 'cancelled':
      return { value: order, token: '' };
    case 'pending':
      throw AppError.failedPrecondition('the order is still being paid; try again shortly');
    case 'payment_failed':
      return deps.orders.transition(userId, id, ['payment_failed'], 'cancelled', { event: 'order.cancelled' }, deadline);
    case 'paid':
      await deps.payments.refund(userId, order.paymentId, deadline);
      await deps.catalog.release(id, deadline);
      return deps.orders.transition(userId, id, ['paid'], 'cancelled', { event: 'order.cancelled', refunded: true }, deadline);
  }
}

export async function getOrder(userId: string, id: string, deps: Pick<OrdersDeps, 'orders'>, read: ReadConsistency & { primary?: boolean }): Promise<Order> {
  const order = await deps.orders.find(userId, id, read);
  if (!order) throw AppError.notFound('order');
  return order;
}

/** The user's orders, newest first; a replica serves them once it has the caller's writes. */
export async function listOrders(userId: string, page: PageRequest, deps: Pick<OrdersDeps, 'orders'>, read: ReadConsistency): Promise<{ orders: Order[]; nextPageToken: string }> {
  return deps.orders.list(userId, page, read);
}

/** Up to 100 orders, each only if it is its user's: coalesced reads (missing and foreign ones are left out). */
export async function getOrders(refs: readonly { userId: string; id: string }[], deps: Pick<OrdersDeps, 'orders'>, read: ReadConsistency): Promise<Order[]> {
  if (refs.length > 100) throw AppError.invalidArgument('too many orders', [{ field: '/refs', description: 'at most 100' }]);
  return deps.orders.findMany(refs, read);
}
