/**
 * After the faults: every write whose outcome the client could not know is
 * retried with its Idempotency-Key until it gets an answer, the platform is
 * given time to finish what it owes (recovery of pending orders), and then
 * the databases are read back and held against what the clients were told.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { parseId } from '@tessera/data';
import type { Platform } from '../runner/platform';
import { call, type Op, type World } from './workload';

export interface Reconciliation {
  /** Acknowledged orders missing, or now at a different order / an earlier status. */
  lost: Op[];
  /** Orders charged more than once, or more orders than keys. */
  duplicates: string[];
  /** Indeterminate writes that, retried with their key, named a different order than the key holds. */
  divergent: Op[];
  /** Indeterminate writes still without an answer after the retries. */
  unresolved: Op[];
  /** Orders still pending when the platform had time to finish them. */
  stuckPending: string[];
  /** Money and stock that do not add up (a paid order without its capture, stock not conserved, …). */
  inconsistencies: string[];
  orders: number;
}


/** Retries one indeterminate write with its key until a definite answer (or `deadline`). */
async function resolve(world: World, op: Op, deadline: number): Promise<Op> {
  const buyer = world.buyers[op.buyer]!;
  while (Date.now() < deadline) {
    const res = await call(world.base, 'POST', '/api/v2/orders', { body: op.body!, token: buyer.token, key: op.key! });
    if (res.status === 200 || res.status === 201) return { ...op, outcome: 'ok', status: res.status, orderId: res.json!.id as string, orderStatus: res.json!.status as string };
    // 409: the key's first request is still being worked on; 5xx/0: not yet.
    if (res.status >= 400 && res.status < 500 && res.status !== 409 && res.status !== 429) return { ...op, outcome: 'fail', status: res.status };
    await sleep(500);
  }
  return op;
}

export async function reconcile(platform: Platform, world: World, ops: Op[], settleMs: number): Promise<Reconciliation> {
  const deadline = Date.now() + settleMs;
  const writes = ops.filter((o) => o.kind === 'order');
  const open = writes.filter((o) => o.outcome === 'indeterminate');
  const retried = await Promise.all(open.map((o) => resolve(world, o, deadline)));

  const dbs = (service: string) => platform.databases(service).map((c) => postgres(c.primary, { max: 2, onnotice: () => undefined }));
  const ordersDbs = dbs('orders');
  const paymentsDbs = dbs('payments');
  const [catalogDb] = dbs('catalog');
  try {
    const userIds = world.buyers.map((b) => b.userId);
    type OrderRow = { id: string; user_id: string; status: string; total_minor: string; items: { productId?: string; product_id?: string; quantity: number }[] };
    const readOrders = async () => (await Promise.all(ordersDbs.map((sql) => sql<OrderRow[]>`select id::text, user_id::text, status, total_minor::text, items from orders where user_id in ${sql(userIds)}`))).flat();
    // Give the recovery worker its time: no order of a campaign buyer stays pending.
    let orders = await readOrders();
    while (orders.some((o) => o.status === 'pending') && Date.now() < deadline + 30_000) {
      await sleep(1_000);
      orders = await readOrders();
    }
    const byId = new Map(orders.map((o) => [o.id, o]));
    const keys = new Map(
      (await Promise.all(ordersDbs.map((sql) => sql<{ user_id: string; key: string; order_id: string }[]>`select user_id::text, key, order_id::text from idempotency_keys where user_id in ${sql(userIds)}`)))
        .flat()
        .map((k) => [`${k.user_id}/${k.key}`, k.order_id]),
    );
    const keyOf = (o: Op) => keys.get(`${world.buyers[o.buyer]!.userId}/${o.key}`);
    const rank: Record<string, number> = { pending: 0, paid: 1, payment_failed: 1, cancelled: 2 };

    const lost = writes.filter((o) => {
      if (o.outcome !== 'ok') return false;
      const id = parseId('order', o.orderId);
      const row = byId.get(id);
      return !row || keyOf(o) !== id || rank[row.status]! < rank[o.orderStatus!]!;
    });
    const divergent = retried.filter((o) => o.outcome === 'ok' && keyOf(o) !== parseId('order', o.orderId));
    const unresolved = retried.filter((o) => o.outcome === 'indeterminate');
    const stuckPending = orders.filter((o) => o.status === 'pending').map((o) => o.id);

    const duplicates: string[] = [];
    const inconsistencies: string[] = [];
    // Each order comes from exactly one key: an order no key names was made twice.
    const named = new Set(keys.values());
    for (const o of orders) if (!named.has(o.id)) duplicates.push(`order ${o.id} is named by no Idempotency-Key`);

    type PaymentRow = { order_id: string; status: string; amount_minor: string; captured: string };
    const payments = (
      await Promise.all(
        paymentsDbs.map(
          (sql) => sql<PaymentRow[]>`
            select p.order_id::text, p.status, p.amount_minor::text,
                   (select count(*) from payment_ledger l where l.payment_id = p.id and l.status = 'captured')::text as captured
            from payments p where p.user_id in ${sql(userIds)}`,
        ),
      )
    ).flat();
    const charged = new Map<string, PaymentRow[]>();
    for (const p of payments) if (['authorized', 'captured', 'refunded'].includes(p.status)) charged.set(p.order_id, [...(charged.get(p.order_id) ?? []), p]);
    for (const [orderId, list] of charged) {
      if (list.length > 1) duplicates.push(`order ${orderId} has ${list.length} charged payments`);
      for (const p of list) if (Number(p.captured) > 1) duplicates.push(`a payment of order ${orderId} was captured ${p.captured} times`);
    }
    for (const o of orders) {
      const list = charged.get(o.id) ?? [];
      // Paid means the order's total is authorized (held) or captured, by one payment; any other state holds no money.
      const holding = list.filter((p) => p.status === 'authorized' || p.status === 'captured');
      if (o.status === 'paid' && !(holding.length === 1 && holding[0]!.amount_minor === o.total_minor)) inconsistencies.push(`paid order ${o.id} is not held by one payment of its total`);
      if (o.status !== 'paid' && holding.length) inconsistencies.push(`${o.status} order ${o.id} still holds a payment`);
    }

    // Stock is conserved: what the campaign's products lost is what paid orders hold.
    const productIds = world.products.map((p) => parseId('product', p));
    const stock = await catalogDb!<{ id: string; stock: number; held: string }[]>`
      select p.id::text, p.stock,
             coalesce((select sum(l.quantity) from reservation_lines l join reservations r using (order_id) where l.product_id = p.id and r.released_at is null), 0)::text as held
      from products p where p.id in ${catalogDb!(productIds)}`;
    for (const s of stock) {
      if (s.stock < 0) inconsistencies.push(`product ${s.id} has negative stock`);
      if (s.stock + Number(s.held) !== world.initialStock) inconsistencies.push(`product ${s.id}: stock ${s.stock} + held ${s.held} ≠ ${world.initialStock}`);
    }
    const heldByOrder = new Map(
      (await catalogDb!<{ order_id: string; released: boolean }[]>`select order_id::text, released_at is not null as released from reservations where order_id in ${catalogDb!(orders.length ? orders.map((o) => o.id) : ['0'])}`).map((r) => [r.order_id, !r.released]),
    );
    for (const o of orders) {
      if (o.status === 'paid' && !heldByOrder.get(o.id)) inconsistencies.push(`paid order ${o.id} holds no stock`);
      if ((o.status === 'payment_failed' || o.status === 'cancelled') && heldByOrder.get(o.id)) inconsistencies.push(`${o.status} order ${o.id} still holds stock`);
    }
    return { lost, duplicates, divergent, unresolved, stuckPending, inconsistencies, orders: orders.length };
  } finally {
    await Promise.all([...ordersDbs, ...paymentsDbs, catalogDb!].map((sql) => sql.end()));
  }
}
