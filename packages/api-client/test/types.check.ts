/**
 * Compile-time checks, run by `npm run typecheck` (not Jest): each call below
 * breaks the v2 contract, and the generated types must refuse it. If one ever
 * compiles, its @ts-expect-error is unused and the typecheck fails.
 */
import { tesseraClient } from '../src';

const api = tesseraClient('http://127.0.0.1:1');

export const refused = [
  // @ts-expect-error: no such path
  () => api.GET('/api/v2/nope'),
  // @ts-expect-error: the order id is required
  () => api.GET('/api/v2/orders/{id}', { params: { path: {} } }),
  // @ts-expect-error: placing an order needs its Idempotency-Key
  () => api.POST('/api/v2/orders', { body: { items: [{ product_id: 'prd_1', quantity: 1 }], payment_method: 'pm_card_ok' } }),
  // @ts-expect-error: quantity is a number
  () => api.POST('/api/v2/orders', { params: { header: { 'Idempotency-Key': 'k' } }, body: { items: [{ product_id: 'prd_1', quantity: '1' }], payment_method: 'pm_card_ok' } }),
  // @ts-expect-error: an order has no "price" (its money is "total")
  async () => (await api.GET('/api/v2/orders/{id}', { params: { path: { id: 'ord_1' } } })).data?.price,
];
