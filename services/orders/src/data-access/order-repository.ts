import type { Sql } from 'postgres';
import { AppError } from '@tessera/errors';
import { formatId, micros, olderThan, parseTokens, scatterGather, shardOfId, type ShardedDb, type Written, writtenOrCurrent } from '@tessera/data';
import { outboxInsertFrom } from '@tessera/outbox';
import type { KeyClaim, Order, OrderLine, OrderRepository, OrderStatus } from '../domain/order';

interface OrderRow {
  id: string;
  user_id: string;
  status: OrderStatus;
  items: OrderLine[];
  priced: boolean;
  total_minor: string;
  currency: string;
  payment_method: string;
  payment_id: string;
  failure_reason: string;
  created_at: Date;
  updated_at: Date;
}

/** The columns of an OrderRow, as a fragment every query of this file selects. */
const orderColumns = (sql: Sql) => sql`id::text, user_id::text, status, items, priced, total_minor::text, currency, payment_method, payment_id, failure_reason, created_at, updated_at`;

const toOrder = (r: OrderRow): Order => ({
  id: r.id,
  userId: r.user_id,
  status: r.status,
  items: r.items,
  priced: r.priced,
  totalMinor: Number(r.total_minor),
  currency: r.currency,
  paymentMethod: r.payment_method,
  paymentId: r.payment_id,
  failureReason: r.failure_reason,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Orders survive a JSON round trip (idempotent replays) with their Dates intact. */
const reviveOrder = (o: Order & { createdAt: string | Date; updatedAt: string | Date }): Order => ({ ...o, createdAt: new Date(o.createdAt), updatedAt: new Date(o.updatedAt) });

export function orderRepository(db: ShardedDb, options: { keyTtlMs: number; onEvent: (cluster: string) => void }): OrderRepository {
  /**
   * Runs `moved` (a `with moved as (update … returning …)` clause, maybe with an outbox insert) as one statement
   * and answers the order as the move left it, or as it is now when the move did not apply (see writtenOrCurrent).
   */
  async function moveOrder(cluster: ReturnType<ShardedDb['forUser']>, id: string, deadline: number, moved: (sql: Sql) => ReturnType<Sql>): Promise<Written<Order>> {
    const { value, token } = await cluster.writeStatement(async (sql) => {
      const order = await writtenOrCurrent(sql<OrderRow[]>`${moved(sql)} select ${orderColumns(sql)} from moved`, () => sql<OrderRow[]>`select ${orderColumns(sql)} from orders where id = ${id}`);
      if (!order) throw AppError.aborted('the order was removed concurrently; try again');
      return toOrder(order.row);
    }, { deadline });
    options.onEvent(cluster.name);
    return { value, token };
  }

  return {
    async claimKey(userId, key, requestHash, leaseMs, deadline): Promise<KeyClaim> {
      const shard = shardOfId(userId);
      const cluster = db.forUser(userId);
      const insert = (sql: Sql) => sql<{ order_id: string }[]>`
          insert into idempotency_keys (user_id, key, request_hash, order_id, state, locked_until, expires_at)
          values (${userId}, ${key}, ${requestHash}, tessera_next_id(${shard}), 'in_progress',
                  now() + make_interval(secs => ${leaseMs / 1000}), now() + make_interval(secs => ${options.keyTtlMs / 1000}))
          on conflict (user_id, key) do nothing
          returning order_id::text`;
      // The common case, a new key, in one statement; anything else (a replay, a clash, an expired key) takes the transaction below.
      const { value: fast } = await cluster.writeStatement((sql) => insert(sql), { deadline, token: false });
      if (fast[0]) return { kind: 'claimed', orderId: fast[0].order_id, fresh: true };
      const { value } = await cluster.write(async (tx): Promise<KeyClaim> => {
        // Expired keys are gone for good: a new request with the same key is a new request.
        await tx`delete from idempotency_keys where user_id = ${userId} and key = ${key} and expires_at <= now()`;
        const claimed = await insert(tx as unknown as Sql);
        if (claimed[0]) return { kind: 'claimed', orderId: claimed[0].order_id, fresh: true };
        const [row] = await tx<{ request_hash: string; order_id: string; state: string; response: (Order & { createdAt: string; updatedAt: string }) | null; leased: boolean }[]>`
          select request_hash, order_id::text, state, response, locked_until > now() as leased
          from idempotency_keys where user_id = ${userId} and key = ${key} for update`;
        if (!row) return { kind: 'in_progress' };
        if (row.request_hash !== requestHash) return { kind: 'mismatch' };
        if (row.state === 'done' && row.response) return { kind: 'replay', response: reviveOrder(row.response) };
        if (row.leased) return { kind: 'in_progress' };
        // The request that held it died: take over, with the same order id.
        await tx`update idempotency_keys set locked_until = now() + make_interval(secs => ${leaseMs / 1000}) where user_id = ${userId} and key = ${key}`;
        return { kind: 'claimed', orderId: row.order_id, fresh: false };
      }, { deadline, token: false });
      return value;
    },

    async completeKey(userId, key, response, deadline) {
      await db.forUser(userId).writeStatement((sql) => sql`update idempotency_keys set state = 'done', response = ${sql.json(response as never)} where user_id = ${userId} and key = ${key}`, { deadline, token: false });
    },

    async releaseKey(userId, key, deadline) {
      await db.forUser(userId).writeStatement((sql) => sql`delete from idempotency_keys where user_id = ${userId} and key = ${key} and state = 'in_progress'`, { deadline, token: false });
    },

    async find(userId, id, { tokens, deadline, primary }) {
      if (shardOfId(id) !== shardOfId(userId)) return undefined;
      const rows = await db.forUser(userId).read((sql) => sql<OrderRow[]>`select ${orderColumns(sql)} from orders where id = ${id} and user_id = ${userId}`, {
        tokens: parseTokens(tokens),
        deadline,
        ...(primary ? { consistency: 'primary' as const } : {}),
      });
      return rows[0] && toOrder(rows[0]);
    },

    async findMany(refs, { tokens, deadline }) {
      // An order lives on its user's shard: refs whose ids carry another shard cannot match.
      const wanted = refs.filter((r) => shardOfId(r.id) === shardOfId(r.userId));
      const byCluster = new Map<string, { userId: string; id: string }[]>();
      for (const ref of wanted) {
        const name = db.forUser(ref.userId).name;
        byCluster.set(name, [...(byCluster.get(name) ?? []), ref]);
      }
      const found = await Promise.all(
        [...byCluster].map(([name, group]) =>
          db.cluster(name).read((sql) => sql<OrderRow[]>`
            select ${orderColumns(sql)}
            from orders where id = any(string_to_array(${group.map((r) => r.id).join(',')}, ',')::bigint[])`, { tokens: parseTokens(tokens), deadline }),
        ),
      );
      const owner = new Map(wanted.map((r) => [r.id, r.userId]));
      return found.flat().filter((row) => owner.get(row.id) === row.user_id).map(toOrder);
    },

    async list(userId, page, { tokens, deadline }) {
      const result = await scatterGather(
        [db.forUser(userId)],
        (sql, after, limit) => sql<(OrderRow & { micros: string })[]>`
          select ${orderColumns(sql)}, ${micros(sql)} as micros
          from orders where user_id = ${userId} and ${olderThan(sql, after)}
          order by created_at desc, id desc limit ${limit}`,
        (row) => ({ createdAtMicros: BigInt(row.micros), id: BigInt(row.id) }),
        { page, read: { tokens: parseTokens(tokens), deadline } },
      );
      return { orders: result.items.map(toOrder), nextPageToken: result.nextPageToken };
    },

    async discardPending(userId, id, deadline) {
      await db.forUser(userId).writeStatement((sql) => sql`delete from orders where id = ${id} and user_id = ${userId} and status = 'pending'`, { deadline, token: false });
    },

    async insertPending({ id, userId, items, paymentMethod }, deadline) {
      // The new row, or the one already there. No token: later steps of the saga write again and return theirs.
      const { value } = await db.forUser(userId).writeStatement(async (sql) => {
        const order = await writtenOrCurrent(
          sql<OrderRow[]>`insert into orders (id, user_id, status, items, payment_method) values (${id}, ${userId}, 'pending', ${sql.json(items as never)}, ${paymentMethod})
            on conflict (id) do nothing returning ${orderColumns(sql)}`,
          () => sql<OrderRow[]>`select ${orderColumns(sql)} from orders where id = ${id}`,
        );
        if (!order) throw AppError.aborted('the order was removed concurrently; try again');
        return toOrder(order.row);
      }, { deadline, token: false });
      return { value, token: '' };
    },

    async price(userId, id, items, totalMinor, currency, deadline) {
      const cluster = db.forUser(userId);
      const event = { type: 'order.created', aggregateId: formatId('order', id), userId: formatId('user', userId), shard: shardOfId(userId) };
      const payload = { order_id: event.aggregateId, status: 'pending', total_minor: totalMinor, currency };
      // Prices the order and enqueues `order.created` in one statement, only if it was not priced yet; else the order as it is.
      return moveOrder(cluster, id, deadline, (sql) => sql`
          with moved as (
            update orders set items = ${sql.json(items as never)}, total_minor = ${totalMinor}, currency = ${currency}, priced = true, updated_at = now()
            where id = ${id} and user_id = ${userId} and not priced
            returning ${orderColumns(sql)}
          ), event as (${outboxInsertFrom(sql, event, sql`${sql.json(payload as never)}::jsonb`, 'moved')})`);
    },

    async transition(userId, id, from, to, detail, deadline) {
      const cluster = db.forUser(userId);
      const event = { type: detail.event, aggregateId: formatId('order', id), userId: formatId('user', userId), shard: shardOfId(userId) };
      // The event's payload is built from the row as it is after the move (total, currency, reason).
      const payload = (sql: Sql) =>
        sql`jsonb_build_object('order_id', ${event.aggregateId}::text, 'status', status, 'total_minor', raw_total, 'currency', currency, 'reason', failure_reason, 'refunded', ${detail.refunded ?? false}::boolean)`;
      // Moves the order and enqueues its event in one statement, only from one of `from`; else the order as it is.
      return moveOrder(cluster, id, deadline, (sql) => sql`
          with moved as (
            update orders set status = ${to}, payment_id = coalesce(${detail.paymentId ?? null}::text, payment_id),
              failure_reason = coalesce(${detail.failureReason ?? null}::text, failure_reason), updated_at = now()
            where id = ${id} and user_id = ${userId} and status = any(string_to_array(${from.join(',')}, ','))
            returning ${orderColumns(sql)}, total_minor as raw_total
          )${detail.event ? sql`, event as (${outboxInsertFrom(sql, event, payload(sql), 'moved')})` : sql``}`);
    },

    async leaseStale(clusterName, staleMs, limit) {
      const { value } = await db.cluster(clusterName).write((tx) => tx<{ id: string; user_id: string }[]>`
        with stale as (
          select id from orders where status = 'pending' and updated_at < now() - make_interval(secs => ${staleMs / 1000})
          order by updated_at limit ${limit} for update skip locked
        )
        update orders o set updated_at = now() from stale where o.id = stale.id
        returning o.id::text, o.user_id::text`);
      return value.map((r) => ({ id: r.id, userId: r.user_id }));
    },
  };
}
