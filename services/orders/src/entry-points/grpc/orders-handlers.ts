import { orders as pb } from '@tessera/contracts';
import { formatId, pageRequest, parseId } from '@tessera/data';
import { incomingConsistencyTokens, returnConsistencyToken, type AsyncServiceImpl } from '@tessera/grpc-kit';
import type { Order, OrderStatus } from '../../domain/order';
import * as orders from '../../domain/orders';

const STATUS: Record<OrderStatus, pb.OrderStatus> = {
  pending: pb.OrderStatus.ORDER_STATUS_PENDING,
  paid: pb.OrderStatus.ORDER_STATUS_PAID,
  payment_failed: pb.OrderStatus.ORDER_STATUS_PAYMENT_FAILED,
  cancelled: pb.OrderStatus.ORDER_STATUS_CANCELLED,
};

export const orderToPb = (o: Order): pb.Order => ({
  id: formatId('order', o.id),
  userId: formatId('user', o.userId),
  status: STATUS[o.status],
  items: o.items.map((l) => ({
    productId: formatId('product', l.productId),
    productName: l.productName ?? '',
    quantity: l.quantity,
    unitPrice: { amountMinor: l.unitPriceMinor ?? 0, currency: o.currency },
    lineTotal: { amountMinor: (l.unitPriceMinor ?? 0) * l.quantity, currency: o.currency },
  })),
  total: { amountMinor: o.totalMinor, currency: o.currency },
  paymentMethod: o.paymentMethod,
  failureReason: o.failureReason,
  createTime: o.createdAt,
  updateTime: o.updatedAt,
});

export function ordersHandlers(deps: orders.OrdersDeps): AsyncServiceImpl<pb.OrdersServiceServer> {
  const user = (id: string) => parseId('user', id, '/user_id');
  return {
    createOrder: async (req, ctx) => {
      const items = req.items.map((i, n) => ({ productId: parseId('product', i.productId, `/items/${n}/product_id`), quantity: i.quantity }));
      const { order, replayed, token } = await orders.createOrder({ userId: user(req.userId), items, paymentMethod: req.paymentMethod, key: req.idempotencyKey }, deps, ctx.deadline);
      returnConsistencyToken(ctx, token);
      return { order: orderToPb(order), replayed };
    },
    getOrder: async (req, ctx) => ({ order: orderToPb(await orders.getOrder(user(req.userId), parseId('order', req.id), deps, { tokens: incomingConsistencyTokens(ctx), deadline: ctx.deadline })) }),
    batchGetOrders: async (req, ctx) => {
      const refs = req.refs.map((r, i) => ({ userId: parseId('user', r.userId, `/refs/${i}/user_id`), id: parseId('order', r.id, `/refs/${i}/id`) }));
      return { orders: (await orders.getOrders(refs, deps, { tokens: incomingConsistencyTokens(ctx), deadline: ctx.deadline })).map(orderToPb) };
    },
    listOrders: async (req, ctx) => {
      const page = await orders.listOrders(user(req.userId), pageRequest(req.page), deps, { tokens: incomingConsistencyTokens(ctx), deadline: ctx.deadline });
      return { orders: page.orders.map(orderToPb), page: { nextPageToken: page.nextPageToken } };
    },
    cancelOrder: async (req, ctx) => {
      const { value: order, token } = await orders.cancelOrder(user(req.userId), parseId('order', req.id), deps, ctx.deadline);
      returnConsistencyToken(ctx, token);
      return { order: orderToPb(order) };
    },
  };
}
