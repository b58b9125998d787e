import { createHmac, timingSafeEqual } from 'node:crypto';
import { events, orders, payments } from '@tessera/contracts';
import { formatId } from '@tessera/data';
import { createClient, GrpcStatus, MetadataKeys, type ServiceError } from '@tessera/grpc-kit';
import { createRegistry } from '@tessera/metrics';
import { commitWhileWaiting, eventually, until } from '@tessera/testing';
import { newUserId, startPlatform, startReceiver, type Platform } from './fixtures/platform';

const usd = (amountMinor: number) => ({ amountMinor, currency: 'USD' });
const code = async (p: Promise<unknown>) => ((await p.then(() => undefined, (e: unknown) => e)) as ServiceError | undefined)?.code;

describe('the order saga over real services (catalog, orders, payments, notifications)', () => {
  let platform: Platform;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    platform = await startPlatform();
    receiver = await startReceiver();
  });

  afterAll(async () => {
    await receiver.close();
    await platform.stop();
  });

  async function product(stock = 10, price = 1999) {
    return (await platform.catalog.createProduct({ name: `p${Math.random()}`, description: '', price: usd(price), stock })).product!;
  }

  /** A new user's PAID order of one unit, and its (authorized) payment. */
  async function paidOrder(idempotencyKey: string) {
    const user = newUserId();
    const { order } = await platform.orders.createOrder({ userId: user, items: [{ productId: (await product(2)).id, quantity: 1 }], paymentMethod: 'pm_card_ok', idempotencyKey });
    const [payment] = (await platform.payments.listPayments({ userId: user, orderId: order!.id })).payments;
    return { user, order: order!, payment: payment! };
  }

  async function inboxOf(userId: string) {
    return (await platform.inbox.listNotifications({ userId, page: { pageSize: 50, pageToken: '', offset: 0 }, unreadOnly: false })).notifications;
  }

  async function ledger(orderId: string) {
    const sql = platform.sql('payments');
    return sql<{ status: string }[]>`select l.status from payment_ledger l join payments p on p.id = l.payment_id where p.order_id = ${orderId.slice(4)} order by l.id`;
  }

  test('when an order is paid, then it is PAID, priced by the catalog, in the inbox, and the webhook gets one signed delivery', async () => {
    const user = newUserId();
    const p = await product(5, 1999);
    const { webhook, signingSecret } = await platform.webhooks.createWebhook({ userId: user, url: receiver.url, eventTypes: ['order.paid'] });
    let token = '';
    const { order, replayed } = await platform.orders.createOrder(
      { userId: user, items: [{ productId: p.id, quantity: 2 }], paymentMethod: 'pm_card_ok', idempotencyKey: 'k-happy' },
      { onTrailers: (t) => (token = String(t.get(MetadataKeys.consistencyToken)[0] ?? '')) },
    );
    expect(replayed).toBe(false);
    expect(order).toMatchObject({ status: orders.OrderStatus.ORDER_STATUS_PAID, total: usd(3998), items: [{ productId: p.id, quantity: 2, unitPrice: usd(1999), lineTotal: usd(3998) }] });
    expect(token).toMatch(/^v1\.main\./);
    expect((await platform.orders.getOrder({ userId: user, id: order!.id }, { metadata: { [MetadataKeys.consistencyToken]: token } })).order!.status).toBe(orders.OrderStatus.ORDER_STATUS_PAID);
    expect((await platform.catalog.getProduct({ id: p.id })).product!.stock).toBe(3);

    const inbox = await eventually('two notifications', async () => {
      const n = await inboxOf(user);
      return n.length >= 2 ? n : undefined;
    });
    expect(inbox.map((n) => n.type).sort()).toEqual(['order.created', 'order.paid']);

    const delivery = await eventually('a webhook delivery', async () => receiver.received.find((r) => r.body.includes(order!.id)));
    await eventually('the attempt to be logged', async () => ((await platform.sql('notifications')`select 1 from webhook_attempts`).length > 0 ? true : undefined));
    // Delivered once: wait until no delivery is pending, then count what arrived.
    await until('every webhook delivery to settle', async () => (await platform.sql('notifications')<{ pending: number }[]>`select count(*)::int as pending from webhook_deliveries where status = 'pending'`)[0]!.pending === 0);
    expect(receiver.received.filter((r) => r.body.includes(order!.id))).toHaveLength(1);
    const [t, v1] = String(delivery.headers['tessera-signature']).split(',').map((part) => part.split('=')[1]!);
    const expected = createHmac('sha256', signingSecret).update(`${t}.${delivery.body}`).digest('hex');
    expect(timingSafeEqual(Buffer.from(v1!), Buffer.from(expected))).toBe(true);
    expect(Math.abs(Date.now() / 1000 - Number(t))).toBeLessThan(60);
    expect(JSON.parse(delivery.body)).toMatchObject({ type: 'order.paid', data: { order_id: order!.id, status: 'paid' } });
    const attempts = await platform.webhooks.listWebhookDeliveries({ userId: user, webhookId: webhook!.id, page: { pageSize: 10, pageToken: '', offset: 0 } });
    expect(attempts.deliveries).toEqual([expect.objectContaining({ attempt: 1, responseStatus: 204 })]);
  });

  test.each([
    ['pm_card_declined', 'card_declined'],
    ['pm_card_insufficient_funds', 'insufficient_funds'],
  ])('when the card is %s, then the order is PAYMENT_FAILED, stock is back and the inbox says so', async (method, reason) => {
    const user = newUserId();
    const p = await product(4);
    const { order } = await platform.orders.createOrder({ userId: user, items: [{ productId: p.id, quantity: 3 }], paymentMethod: method, idempotencyKey: `k-${method}` });
    expect(order).toMatchObject({ status: orders.OrderStatus.ORDER_STATUS_PAYMENT_FAILED, failureReason: reason });
    // Released before the answer; read back through the catalog's cache and replica, which may trail by a moment.
    await eventually('the stock to be back', async () => ((await platform.catalog.getProduct({ id: p.id })).product!.stock === 4 ? true : undefined));
    const failed = await eventually('payment failed notification', async () => (await inboxOf(user)).find((n) => n.type === 'order.payment_failed'));
    expect(failed.body).toContain(reason);
  });

  test('when 20 identical creates race with one Idempotency-Key, then there is one order and one charge; another payload with the key is refused', async () => {
    const user = newUserId();
    const p = await product(50);
    const request = { userId: user, items: [{ productId: p.id, quantity: 1 }], paymentMethod: 'pm_card_ok', idempotencyKey: 'k-race' };
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => platform.orders.createOrder(request)));
    const ok = results.filter((r): r is PromiseFulfilledResult<orders.CreateOrderResponse> => r.status === 'fulfilled').map((r) => r.value);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(new Set(ok.map((r) => r.order!.id)).size).toBe(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as ServiceError).code).toBe(GrpcStatus.ABORTED);

    // After the first finished, a replay returns the same response.
    const replay = await platform.orders.createOrder(request);
    expect(replay).toMatchObject({ replayed: true, order: { id: ok[0]!.order!.id, status: orders.OrderStatus.ORDER_STATUS_PAID } });
    expect(await code(platform.orders.createOrder({ ...request, items: [{ productId: p.id, quantity: 2 }] }))).toBe(GrpcStatus.FAILED_PRECONDITION);

    const [count] = await platform.sql('orders')`select count(*)::int as n from orders where user_id = ${user.slice(4)}`;
    expect(count!.n).toBe(1);
    expect((await ledger(ok[0]!.order!.id)).map((l) => l.status)).toEqual(['pending', 'authorized']);
    expect((await platform.catalog.getProduct({ id: p.id })).product!.stock).toBe(49);
  });

  test('when a PAID order is cancelled twice at once, then it is refunded once and its stock released', async () => {
    const user = newUserId();
    const p = await product(3);
    const { order } = await platform.orders.createOrder({ userId: user, items: [{ productId: p.id, quantity: 3 }], paymentMethod: 'pm_card_ok', idempotencyKey: 'k-cancel' });
    const [a, b] = await Promise.all([platform.orders.cancelOrder({ userId: user, id: order!.id }), platform.orders.cancelOrder({ userId: user, id: order!.id })]);
    expect(a.order!.status).toBe(orders.OrderStatus.ORDER_STATUS_CANCELLED);
    expect(b.order!.status).toBe(orders.OrderStatus.ORDER_STATUS_CANCELLED);
    expect((await ledger(order!.id)).map((l) => l.status)).toEqual(['pending', 'authorized', 'refunded']);
    const [refunds] = await platform.sql('payments')`select count(*)::int as n from sandbox_processor.operations where kind = 'refund'`;
    expect(refunds!.n).toBe(1);
    expect((await platform.catalog.getProduct({ id: p.id })).product!.stock).toBe(3);
    expect((await platform.payments.listPayments({ userId: user, orderId: order!.id })).payments).toHaveLength(1);
    await eventually('refund notification', async () => (await inboxOf(user)).find((n) => n.type === 'payment.refunded'));
  });

  // Writers that wait for a concurrent transaction (READ COMMITTED) answer the row as that transaction left it.
  test('when a cancel waits on the row for another cancel that commits first, then it answers the order CANCELLED, not as it was before the wait', async () => {
    const { user, order } = await paidOrder('k-cancel-wait');
    const cancelled = await commitWhileWaiting(
      platform.sql('orders'),
      (tx) => tx`update orders set status = 'cancelled', updated_at = now() where id = ${order.id.slice(4)}`,
      () => platform.orders.cancelOrder({ userId: user, id: order.id }),
    );
    expect(cancelled.order!.status).toBe(orders.OrderStatus.ORDER_STATUS_CANCELLED);
  });

  test('when a refund waits on the payment for another refund that commits first, then it answers the payment REFUNDED', async () => {
    const { user, payment } = await paidOrder('k-refund-wait');
    const refunded = await commitWhileWaiting(
      platform.sql('payments'),
      (tx) => tx`update payments set status = 'refunded', updated_at = now() where id = ${payment.id.slice(4)}`,
      () => platform.payments.refundPayment({ userId: user, paymentId: payment.id, idempotencyKey: '' }),
    );
    expect(refunded.payment!.status).toBe(payments.PaymentStatus.PAYMENT_STATUS_REFUNDED);
  });

  test('when an authorization waits on its idempotency key for another payment that commits first, then it is refused as a different payment, not an internal error', async () => {
    const user = newUserId();
    const request = { userId: user, orderId: formatId('order', '42'), amount: usd(500), paymentMethod: 'pm_card_ok', idempotencyKey: 'k-key-wait' };
    const refused = await code(commitWhileWaiting(
      platform.sql('payments'),
      (tx) => tx`insert into payments (id, user_id, order_id, idempotency_key, request_hash, status, amount_minor, currency, payment_method)
                 values (tessera_next_id(0), ${user.slice(4)}, 41, ${request.idempotencyKey}, 'another request', 'pending', 900, 'USD', 'pm_card_ok')`,
      () => platform.payments.authorizePayment(request),
    ));
    expect(refused).toBe(GrpcStatus.FAILED_PRECONDITION);
  });

  test('when the sandbox processor records a refund while another record of its key commits first, then the refund answers with that record', async () => {
    const { user, payment } = await paidOrder('k-processor-wait');
    const refunded = await commitWhileWaiting(
      platform.sql('payments'),
      (tx) => tx`insert into sandbox_processor.operations (idempotency_key, kind, payment_method, amount_minor, currency, approved, reference)
                 values (${`refund:${payment.id.slice(4)}`}, 'refund', '', ${payment.amount!.amountMinor}, 'USD', true, 'sbx_re_theirs')`,
      () => platform.payments.refundPayment({ userId: user, paymentId: payment.id, idempotencyKey: '' }),
    );
    expect(refunded.payment!.status).toBe(payments.PaymentStatus.PAYMENT_STATUS_REFUNDED);
    expect(refunded.payment!.ledger.at(-1)).toMatchObject({ status: payments.PaymentStatus.PAYMENT_STATUS_REFUNDED, processorReference: 'sbx_re_theirs' });
  });

  test.each(['pm_card_lost_response', 'pm_card_timeout'])('when the processor charges but the answer is lost (%s), then recovery finishes the order PAID with exactly one charge', async (method) => {
    const user = newUserId();
    const p = await product(5);
    // Payments answers UNAVAILABLE (outcome unknown); the retry (by the gRPC client, or else by recovery) uses the same key.
    const { order } = await platform.orders.createOrder({ userId: user, items: [{ productId: p.id, quantity: 1 }], paymentMethod: method, idempotencyKey: `k-${method}` });
    const paid = await eventually('recovery to pay the order', async () => {
      const o = (await platform.orders.getOrder({ userId: user, id: order!.id })).order!;
      return o.status === orders.OrderStatus.ORDER_STATUS_PAID ? o : undefined;
    }, 15_000);
    expect(paid.id).toBe(order!.id);
    expect((await ledger(order!.id)).filter((l) => l.status === 'authorized')).toHaveLength(1);
    const [charges] = await platform.sql('payments')`select count(*)::int as n from sandbox_processor.operations where kind = 'authorize' and idempotency_key like ${`%:${order!.id}`}`;
    expect(charges!.n).toBe(1);
  });

  test('when the same event is delivered twice, then there is one notification', async () => {
    const consumer = createClient(events.EventConsumerServiceClient, events.EventConsumerServiceService, `127.0.0.1:${platform.ports.notifications}`, { registry: createRegistry(), identity: platform.tokens.identities.signer('orders') });
    const user = newUserId();
    const event = { id: 'orders:424242', type: 'order.created', aggregateId: 'ord_1', userId: user, payloadJson: JSON.stringify({ order_id: 'ord_1', total_minor: 100, currency: 'USD' }), occurredAt: new Date() };
    expect(await consumer.consumeEvents({ events: [event] })).toEqual({ processed: 1 });
    expect(await consumer.consumeEvents({ events: [event, event] })).toEqual({ processed: 0 });
    consumer.close();
    // The inbox is read from the replica and the consumer hands back no consistency token: wait for replay, then count.
    await platform.replicated('notifications');
    expect(await inboxOf(user)).toHaveLength(1);
  });

  test('when the payments ledger is updated, deleted from, truncated or has its triggers dropped, by the owner or the service role, then Postgres refuses and the entries stay', async () => {
    const user = newUserId();
    const p = await product(5);
    const { order } = await platform.orders.createOrder({ userId: user, items: [{ productId: p.id, quantity: 1 }], paymentMethod: 'pm_card_ok', idempotencyKey: 'k-ledger' });
    const before = await ledger(order!.id);
    expect(before.length).toBeGreaterThan(0);
    // Even the owner's connection meets the triggers.
    const owner = platform.sql('payments');
    for (const attack of [owner`update payment_ledger set status = 'refunded'`, owner`delete from payment_ledger`, owner`truncate payment_ledger`]) {
      await expect(attack).rejects.toThrow(/append-only/);
    }
    // The service's own role (what a compromised payments process holds) cannot change rows, nor get around the triggers.
    const service = platform.paymentsRuntime;
    for (const attack of [
      service`update payment_ledger set status = 'refunded'`,
      service`delete from payment_ledger`,
      service`truncate payment_ledger`,
      service`alter table payment_ledger disable trigger payment_ledger_append_only`,
      service`drop trigger payment_ledger_append_only on payment_ledger`,
      service`drop table payment_ledger`,
      service`delete from schema_migrations`,
    ]) {
      await expect(attack).rejects.toThrow(/permission denied|must be owner/);
    }
    expect(await ledger(order!.id)).toEqual(before);
  });

  test('when inputs are bad, then INVALID_ARGUMENT and nothing is written', async () => {
    const user = newUserId();
    const p = await product(5);
    const base = { userId: user, items: [{ productId: p.id, quantity: 1 }], paymentMethod: 'pm_card_ok', idempotencyKey: 'k-bad' };
    for (const bad of [
      { ...base, items: [] },
      { ...base, items: [{ productId: p.id, quantity: 0 }] },
      { ...base, items: [{ productId: 'usr_1', quantity: 1 }] },
      { ...base, paymentMethod: 'visa 4242' },
      { ...base, idempotencyKey: '' },
    ]) {
      expect(await code(platform.orders.createOrder(bad))).toBe(GrpcStatus.INVALID_ARGUMENT);
    }
    // A user id that is no user's cannot be the credential's: refused before the handler.
    expect(await code(platform.orders.createOrder({ ...base, userId: 'ord_1' }, { bearer: await platform.tokens.mint(user) }))).toBe(GrpcStatus.PERMISSION_DENIED);
    const [count] = await platform.sql('orders')`select count(*)::int as n from orders where user_id = ${user.slice(4)}`;
    expect(count!.n).toBe(0);
  });

  test('when another user asks for an order, then it is NOT_FOUND', async () => {
    const owner = newUserId();
    const p = await product(5);
    const { order } = await platform.orders.createOrder({ userId: owner, items: [{ productId: p.id, quantity: 1 }], paymentMethod: 'pm_card_ok', idempotencyKey: 'k-own' });
    const stranger = newUserId();
    expect(await code(platform.orders.getOrder({ userId: stranger, id: order!.id }))).toBe(GrpcStatus.NOT_FOUND);
    expect(await code(platform.orders.cancelOrder({ userId: stranger, id: order!.id }))).toBe(GrpcStatus.NOT_FOUND);
    expect((await platform.payments.listPayments({ userId: stranger, orderId: order!.id })).payments).toEqual([]);
  });

  test('when orders of several users are asked for in one batch, then each comes back only to its own user, in one call', async () => {
    const [alice, bob] = [newUserId(), newUserId()];
    const p = await product(10);
    // The batch is read from replicas: carry the writes' consistency tokens, as a client would, so it waits for them.
    const tokens: string[] = [];
    const place = async (user: string, key: string) =>
      (await platform.orders.createOrder(
        { userId: user, items: [{ productId: p.id, quantity: 1 }], paymentMethod: 'pm_card_ok', idempotencyKey: key },
        { onTrailers: (t) => tokens.push(String(t.get(MetadataKeys.consistencyToken)[0])) },
      )).order!;
    const [a1, a2, b1] = [await place(alice, 'k-batch-a1'), await place(alice, 'k-batch-a2'), await place(bob, 'k-batch-b1')];
    expect(tokens).toEqual([expect.stringMatching(/^v1\./), expect.stringMatching(/^v1\./), expect.stringMatching(/^v1\./)]);
    const { orders: found } = await platform.orders.batchGetOrders({
      refs: [
        { userId: alice, id: a1.id },
        { userId: alice, id: a2.id },
        { userId: alice, id: b1.id }, // bob's: not alice's to see
        { userId: bob, id: b1.id },
        { userId: bob, id: 'ord_9223372036854775807' }, // does not exist
      ],
    }, { metadata: { [MetadataKeys.consistencyToken]: tokens.join(',') } });
    expect(found.map((o) => [o.userId, o.id]).sort()).toEqual([[alice, a1.id], [alice, a2.id], [bob, b1.id]].sort());
    expect(await code(platform.orders.batchGetOrders({ refs: Array.from({ length: 101 }, () => ({ userId: alice, id: a1.id })) }))).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(await code(platform.orders.batchGetOrders({ refs: [{ userId: 'nobody', id: a1.id }] }))).toBe(GrpcStatus.INVALID_ARGUMENT);
  });
});
