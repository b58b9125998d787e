import { orders } from '@tessera/contracts';
import { GrpcStatus } from '@tessera/grpc-kit';
import { eventually, startServiceProcess, until, type ServiceProcess } from '@tessera/testing';
import { newUserId, startPlatform, type Platform } from './fixtures/platform';

const usd = (amountMinor: number) => ({ amountMinor, currency: 'USD' });

describe('crashes (real processes killed with SIGKILL)', () => {
  let platform: Platform;
  let ordersProcess: ServiceProcess | undefined;
  let paymentsProcess: ServiceProcess | undefined;

  beforeAll(async () => {
    platform = await startPlatform({ inProcess: { orders: false, payments: false } });
  });

  afterAll(async () => {
    await ordersProcess?.kill();
    await paymentsProcess?.kill();
    await platform.stop();
  });

  const startOrders = async (extra: Record<string, string> = {}) => {
    ordersProcess = await startServiceProcess('orders', { ...platform.env.orders, ...extra }, platform.ports.orders);
    // The test's channel may still be backing off from the previous process: wait until it answers again.
    await eventually('orders to answer', async () => platform.orders.getOrder({ userId: newUserId(), id: 'ord_1' }).then(() => true, (e: { code?: number }) => (e.code === 5 ? true : undefined)));
  };
  const startPayments = async (extra: Record<string, string> = {}) => {
    paymentsProcess = await startServiceProcess('payments', { ...platform.env.payments, ...extra }, platform.ports.payments);
  };

  async function aProduct() {
    return (await platform.catalog.createProduct({ name: 'Crash-tested', description: '', price: usd(1500), stock: 10 })).product!;
  }

  test('when orders is killed right after committing an order and its event, then after restart the event is delivered once and the order is finished', async () => {
    await startPayments();
    await startOrders({ CRASH_AT: 'after_order_commit' });
    const user = newUserId();
    const p = await aProduct();
    await expect(platform.orders.createOrder({ userId: user, items: [{ productId: p.id, quantity: 1 }], paymentMethod: 'pm_card_ok', idempotencyKey: 'k-crash-orders' })).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
    expect(await ordersProcess!.exited).toBe('SIGKILL');

    const [row] = await platform.sql('orders')<{ id: string; status: string; delivered: boolean }[]>`
      select o.id::text, o.status, (select bool_and(delivered_at is not null) from outbox) as delivered from orders o where o.user_id = ${user.slice(4)}`;
    expect(row).toMatchObject({ status: 'pending', delivered: false });
    expect((await platform.inbox.listNotifications({ userId: user, page: { pageSize: 10, pageToken: '', offset: 0 }, unreadOnly: false })).notifications).toEqual([]);

    await startOrders();
    const orderId = `ord_${row!.id}`;
    await eventually('the order to be finished by recovery', async () => ((await platform.orders.getOrder({ userId: user, id: orderId })).order!.status === orders.OrderStatus.ORDER_STATUS_PAID ? true : undefined), 15_000);
    const inbox = await eventually('notifications for created and paid', async () => {
      const n = (await platform.inbox.listNotifications({ userId: user, page: { pageSize: 10, pageToken: '', offset: 0 }, unreadOnly: false })).notifications;
      return n.length >= 2 ? n : undefined;
    });
    // Delivered once: wait until the outbox has nothing left to send, then count.
    await until('the outbox to be drained', async () => (await platform.sql('orders')<{ pending: number }[]>`select count(*)::int as pending from outbox where delivered_at is null`)[0]!.pending === 0);
    const again = (await platform.inbox.listNotifications({ userId: user, page: { pageSize: 10, pageToken: '', offset: 0 }, unreadOnly: false })).notifications;
    expect(again.map((n) => n.type).sort()).toEqual(['order.created', 'order.paid']);
    expect(inbox.filter((n) => n.type === 'order.created')).toHaveLength(1);
    await ordersProcess!.kill();
    await paymentsProcess!.kill();
  });

  test('when payments is killed right after the processor charged, then recovery finishes the order PAID with exactly one charge, and a retry with the key shows it PAID', async () => {
    await startPayments({ CRASH_AT: 'after_processor_authorize' });
    await startOrders({ PAYMENT_TIMEOUT_MS: '1000' });
    const user = newUserId();
    const p = await aProduct();
    const { order } = await platform.orders.createOrder({ userId: user, items: [{ productId: p.id, quantity: 2 }], paymentMethod: 'pm_card_ok', idempotencyKey: 'k-crash-payments' });
    expect(order!.status).toBe(orders.OrderStatus.ORDER_STATUS_PENDING);
    expect(await paymentsProcess!.exited).toBe('SIGKILL');
    const [charged] = await platform.sql('payments')`select count(*)::int as n from sandbox_processor.operations where kind = 'authorize' and idempotency_key like ${`%:${order!.id}`}`;
    expect(charged!.n).toBe(1);

    await startPayments();
    await eventually('recovery to pay the order', async () => ((await platform.orders.getOrder({ userId: user, id: order!.id })).order!.status === orders.OrderStatus.ORDER_STATUS_PAID ? true : undefined), 15_000);
    const [charges] = await platform.sql('payments')`select count(*)::int as n from sandbox_processor.operations where kind = 'authorize' and idempotency_key like ${`%:${order!.id}`}`;
    expect(charges!.n).toBe(1);
    const ledger = await platform.sql('payments')<{ status: string }[]>`select l.status from payment_ledger l join payments p on p.id = l.payment_id where p.order_id = ${order!.id.slice(4)} order by l.id`;
    expect(ledger.map((l) => l.status)).toEqual(['pending', 'authorized']);
    // The first answer said PENDING; a retry with the key now shows the same order as it is: PAID.
    const replay = await platform.orders.createOrder({ userId: user, items: [{ productId: p.id, quantity: 2 }], paymentMethod: 'pm_card_ok', idempotencyKey: 'k-crash-payments' });
    expect([replay.replayed, replay.order!.id, replay.order!.status]).toEqual([true, order!.id, orders.OrderStatus.ORDER_STATUS_PAID]);
  });
});
