import { orders as ordersPb, payments as paymentsPb } from '@tessera/contracts';
import { z } from 'zod';
import { pageQuery, pageRequest, pageWindow } from './paging';
import { route, type Route, type RouteContext } from './route';
import { problem } from '../errors/problem';
import { idParam, paymentMethod } from './schemas';
import type { Version } from './version';
import type { VersionFormat } from './version-format';

const ORDER_STATUS: Record<number, string> = {
  [ordersPb.OrderStatus.ORDER_STATUS_PENDING]: 'pending',
  [ordersPb.OrderStatus.ORDER_STATUS_PAID]: 'paid',
  [ordersPb.OrderStatus.ORDER_STATUS_PAYMENT_FAILED]: 'payment_failed',
  [ordersPb.OrderStatus.ORDER_STATUS_CANCELLED]: 'cancelled',
};
const PAYMENT_STATUS: Record<number, string> = {
  [paymentsPb.PaymentStatus.PAYMENT_STATUS_PENDING]: 'pending',
  [paymentsPb.PaymentStatus.PAYMENT_STATUS_AUTHORIZED]: 'authorized',
  [paymentsPb.PaymentStatus.PAYMENT_STATUS_CAPTURED]: 'captured',
  [paymentsPb.PaymentStatus.PAYMENT_STATUS_DECLINED]: 'declined',
  [paymentsPb.PaymentStatus.PAYMENT_STATUS_REFUNDED]: 'refunded',
};

const presentOrder = (f: VersionFormat, o: ordersPb.Order) => ({
  id: f.id('order', o.id),
  status: ORDER_STATUS[o.status] ?? 'pending',
  items: o.items.map((i) => ({ product_id: f.id('product', i.productId), product_name: i.productName, quantity: i.quantity, unit_price: f.money(i.unitPrice), line_total: f.money(i.lineTotal) })),
  total: f.money(o.total),
  payment_method: o.paymentMethod,
  failure_reason: o.failureReason || null,
  created_at: f.time(o.createTime),
  updated_at: f.time(o.updateTime),
});

const presentPayment = (f: VersionFormat, p: paymentsPb.Payment) => ({
  id: f.id('payment', p.id),
  order_id: f.id('order', p.orderId),
  status: PAYMENT_STATUS[p.status] ?? 'pending',
  amount: f.money(p.amount),
  payment_method: p.paymentMethod,
  decline_reason: p.declineReason || null,
  ledger: p.ledger.map((e) => ({ status: PAYMENT_STATUS[e.status], amount: f.money(e.amount), at: f.time(e.createTime) })),
  created_at: f.time(p.createTime),
});

/** One of the caller's orders by its id as the client wrote it; someone else's is a 404 like a missing one. */
async function ownOrder(ctx: RouteContext<{ id: string }, unknown, unknown>, rawId: string): Promise<ordersPb.Order> {
  const order = await ctx.load.order({ userId: ctx.userId(), id: ctx.fmt.parseId('order', rawId, '/id') }, ctx.call());
  if (!order) throw problem(404, 'order not found');
  return order;
}

/** Orders and their payments; a user only ever sees their own (the services answer 404 otherwise). */
export function orderRoutes(version: Version): Route[] {
  return [
    route({
      method: 'post', path: '/orders', tag: 'orders', summary: 'Place an order (requires Idempotency-Key)', access: 'user', scopes: ['orders:write'], idempotent: true, success: 201, response: 'Order', locates: true,
      alsoSuccess: [{ status: 200, description: 'A replay: the order this Idempotency-Key already placed', response: 'Order', headers: ['Location', 'Idempotent-Replayed'] }],
      body: z.strictObject({ items: z.array(z.strictObject({ product_id: z.string().max(64), quantity: z.number().int().min(1).max(1_000) })).min(1).max(50), payment_method: paymentMethod }),
      async handle(ctx) {
        const items = ctx.body.items.map((i, n) => ({ productId: ctx.fmt.parseId('product', i.product_id, `/items/${n}/product_id`), quantity: i.quantity }));
        const res = await ctx.clients.orders.createOrder({ userId: ctx.userId(), items, paymentMethod: ctx.body.payment_method, idempotencyKey: ctx.idempotencyKey! }, ctx.call());
        const id = ctx.fmt.id('order', res.order!.id);
        return { status: res.replayed ? 200 : 201, body: presentOrder(ctx.fmt, res.order!), headers: { Location: `/api/${version}/orders/${id}`, ...(res.replayed ? { 'Idempotent-Replayed': 'true' } : {}) } };
      },
    }),
    route({
      method: 'get', path: '/orders', tag: 'orders', summary: 'Your orders, newest first', access: 'user', scopes: ['orders:read'], success: 200, response: 'OrderPage', query: pageQuery(version),
      async handle(ctx) {
        const res = await ctx.clients.orders.listOrders({ userId: ctx.userId(), page: pageRequest(ctx.query) }, ctx.call());
        return { status: 200, body: ctx.fmt.page(res.orders.map((o) => presentOrder(ctx.fmt, o)), pageWindow(ctx.query, res.page?.nextPageToken)) };
      },
    }),
    route({
      method: 'get', path: '/orders/:id', tag: 'orders', summary: 'One of your orders', access: 'user', scopes: ['orders:read'], success: 200, response: 'Order', params: idParam,
      async handle(ctx) {
        return { status: 200, body: presentOrder(ctx.fmt, await ownOrder(ctx, ctx.params.id)) };
      },
    }),
    route({
      method: 'post', path: '/orders/:id/cancel', tag: 'orders', summary: 'Cancel one of your orders (refunds a paid one)', access: 'user', scopes: ['orders:write'], success: 200, response: 'Order', params: idParam,
      async handle(ctx) {
        return { status: 200, body: presentOrder(ctx.fmt, (await ctx.clients.orders.cancelOrder({ userId: ctx.userId(), id: ctx.fmt.parseId('order', ctx.params.id, '/id') }, ctx.call())).order!) };
      },
    }),
    route({
      method: 'get', path: '/orders/:id/payments', tag: 'orders', summary: 'Payments of one of your orders', access: 'user', scopes: ['orders:read'], success: 200, response: 'PaymentList', params: idParam,
      async handle(ctx) {
        // The order must be the caller's: otherwise the same 404 as for a missing order.
        const order = await ownOrder(ctx, ctx.params.id);
        const res = await ctx.clients.payments.listPayments({ userId: ctx.userId(), orderId: order.id }, ctx.call());
        return { status: 200, body: { data: res.payments.map((p) => presentPayment(ctx.fmt, p)) } };
      },
    }),
  ];
}
