import type { Logger } from '@tessera/logging';
import { advance, type OrdersDeps } from './orders';
import { StockUnavailable } from './order';

/**
 * Finishes orders that a crash or timeout left pending: each stale order is
 * leased (its updated_at bumped, so other replicas skip it) and advanced with
 * the same idempotency keys the first attempt used.
 */
export async function recoverStaleOrders(cluster: string, deps: Omit<OrdersDeps, 'keyLeaseMs'>, options: { staleMs: number; logger: Logger }): Promise<number> {
  const stale = await deps.orders.leaseStale(cluster, options.staleMs, 20);
  for (const { userId, id } of stale) {
    const deadline = Date.now() + 15_000;
    try {
      const order = await deps.orders.find(userId, id, { tokens: [], deadline, primary: true });
      if (order) await advance(order, deps, deadline);
    } catch (error) {
      if (error instanceof StockUnavailable) {
        await deps.orders.transition(userId, id, ['pending'], 'cancelled', { failureReason: 'out_of_stock', event: 'order.cancelled' }, deadline);
      } else {
        options.logger.warn({ err: error, orderId: id }, 'recovery could not advance the order yet');
      }
    }
  }
  return stale.length;
}
