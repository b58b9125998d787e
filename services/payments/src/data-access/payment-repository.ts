import type { Sql, TransactionSql } from 'postgres';
import { formatId, ID_PREFIXES, parseTokens, shardOfId, type ShardedDb, writtenOrCurrent } from '@tessera/data';
import { outboxInsertFrom } from '@tessera/outbox';
import type { LedgerEntry, Payment, PaymentRepository, PaymentStatus } from '../domain/payment';

interface PaymentRow {
  id: string;
  user_id: string;
  order_id: string;
  status: PaymentStatus;
  amount_minor: string;
  currency: string;
  payment_method: string;
  decline_reason: string;
  processor_reference: string;
  request_hash: string;
  created_at: Date;
}

/** The columns of a PaymentRow, as a fragment every query of this file selects. */
const paymentColumns = (sql: Sql) => sql`id::text, user_id::text, order_id::text, status, amount_minor::text, currency, payment_method, decline_reason, processor_reference, request_hash, created_at`;

const toPayment = (r: PaymentRow, ledger: LedgerEntry[]): Payment => ({
  id: r.id,
  userId: r.user_id,
  orderId: r.order_id,
  status: r.status,
  amountMinor: Number(r.amount_minor),
  currency: r.currency,
  paymentMethod: r.payment_method,
  declineReason: r.decline_reason,
  processorReference: r.processor_reference,
  requestHash: r.request_hash,
  ledger,
  createdAt: r.created_at,
});

/** The payments with their ledgers, read in one query. */
async function withLedger(sql: Sql | TransactionSql, rows: PaymentRow[]): Promise<Payment[]> {
  if (rows.length === 0) return [];
  const entries = await sql<{ payment_id: string; status: PaymentStatus; amount_minor: string; currency: string; processor_reference: string; created_at: Date }[]>`
    select payment_id::text, status, amount_minor::text, currency, processor_reference, created_at from payment_ledger
    where payment_id = any(${sql.array(rows.map((r) => r.id))}::bigint[]) order by id`;
  const byPayment = new Map<string, LedgerEntry[]>();
  for (const e of entries) {
    byPayment.set(e.payment_id, [...(byPayment.get(e.payment_id) ?? []), { status: e.status, amountMinor: Number(e.amount_minor), currency: e.currency, processorReference: e.processor_reference, createdAt: e.created_at }]);
  }
  return rows.map((r) => toPayment(r, byPayment.get(r.id) ?? []));
}

/** Payments and their ledger on the payer's shard; every transition writes its outbox event in the same transaction. */
export function paymentRepository(db: ShardedDb, onEvent: (cluster: string) => void): PaymentRepository {
  return {
    async findById(userId, id, deadline) {
      if (shardOfId(id) !== shardOfId(userId)) return undefined;
      return db.forUser(userId).read(async (sql) => (await withLedger(sql, await sql<PaymentRow[]>`select ${paymentColumns(sql)} from payments where user_id = ${userId} and id = ${id}`))[0], { deadline, consistency: 'primary' });
    },

    async listForOrder(userId, orderId, { tokens, deadline }) {
      return db.forUser(userId).read(async (sql) => withLedger(sql, await sql<PaymentRow[]>`select ${paymentColumns(sql)} from payments where user_id = ${userId} and order_id = ${orderId} order by created_at, id`), { deadline, tokens: parseTokens(tokens) });
    },

    async createPending(input, deadline) {
      const cluster = db.forUser(input.userId);
      // The new payment and its first ledger entry in one statement, or the payment that already holds the key.
      // No token: authorization goes on to a transition, which returns one.
      const { value: found } = await cluster.writeStatement(
        (sql) =>
          writtenOrCurrent(
            sql<PaymentRow[]>`
              with inserted as (
                insert into payments (id, user_id, order_id, idempotency_key, request_hash, status, amount_minor, currency, payment_method)
                values (tessera_next_id(${shardOfId(input.userId)}), ${input.userId}, ${input.orderId}, ${input.key}, ${input.requestHash}, 'pending', ${input.amountMinor}, ${input.currency}, ${input.paymentMethod})
                on conflict (user_id, idempotency_key) do nothing
                returning *
              ), ledger as (
                insert into payment_ledger (payment_id, status, amount_minor, currency) select id, 'pending', amount_minor, currency from inserted
              )
              select ${paymentColumns(sql)} from inserted`,
            () => sql<PaymentRow[]>`select ${paymentColumns(sql)} from payments where user_id = ${input.userId} and idempotency_key = ${input.key}`,
          ),
        { deadline, token: false },
      );
      // A payment is never deleted (its ledger entries reference it and are append-only): a key that conflicted is there to read.
      const { row, written } = found!;
      // A new payment's ledger is the entry just written; an existing one's is read back.
      const payment = written
        ? toPayment(row, [{ status: 'pending', amountMinor: input.amountMinor, currency: input.currency, processorReference: '', createdAt: row.created_at }])
        : (await cluster.read((sql) => withLedger(sql, [row]), { consistency: 'primary', deadline }))[0]!;
      return { value: payment, token: '' };
    },

    async transition(userId, id, from, to, detail, deadline) {
      const cluster = db.forUser(userId);
      const event = { type: `payment.${to}`, aggregateId: formatId('payment', id), userId: formatId('user', userId), shard: shardOfId(userId) };
      // The payload from the row as it is after the move; the order id gets its client-facing prefix.
      const payload = (sql: Sql) =>
        sql`jsonb_build_object('payment_id', ${event.aggregateId}::text, 'order_id', ${`${ID_PREFIXES.order}_`}::text || order_id::text, 'amount_minor', amount_minor, 'currency', currency, 'decline_reason', decline_reason)`;
      // Moves the payment, appends its ledger entry and enqueues its event in one statement, only from one of `from`.
      const { value: found, token } = await cluster.writeStatement(
        (sql) =>
          writtenOrCurrent(
            sql<PaymentRow[]>`
              with moved as (
                update payments set status = ${to}, processor_reference = case when ${detail.reference}::text = '' then processor_reference else ${detail.reference}::text end,
                  decline_reason = coalesce(${detail.declineReason ?? null}::text, decline_reason), updated_at = now()
                where user_id = ${userId} and id = ${id} and status = any(string_to_array(${from.join(',')}, ','))
                returning *
              ), ledger as (
                insert into payment_ledger (payment_id, status, amount_minor, currency, processor_reference)
                select id, ${to}, amount_minor, currency, ${detail.reference} from moved
              ), event as (${outboxInsertFrom(sql, event, payload(sql), 'moved')})
              select ${paymentColumns(sql)} from moved`,
            // Someone else moved it first (a concurrent retry): report where it is now.
            () => sql<PaymentRow[]>`select ${paymentColumns(sql)} from payments where user_id = ${userId} and id = ${id}`,
          ),
        { deadline },
      );
      onEvent(cluster.name);
      // Never deleted (see createPending): the payment is there, moved by this call or by another.
      return { value: (await cluster.read((sql) => withLedger(sql, [found!.row]), { consistency: 'primary', deadline }))[0]!, token };
    },
  };
}
