import { randomBytes } from 'node:crypto';
import { withTimeout, writtenOrCurrent, type ShardedDb } from '@tessera/data';
import { ProcessorUnavailable, type PaymentProcessor, type ProcessorResult } from '../domain/payment';

/**
 * The default processor: a sandbox with documented test payment methods, like
 * the test cards real processors publish. It keeps its own books (schema
 * sandbox_processor) and is idempotent by key, as real processors are.
 *
 * | payment method               | authorize outcome                                                        |
 * |------------------------------|--------------------------------------------------------------------------|
 * | pm_card_ok                   | approved                                                                 |
 * | pm_card_declined             | declined, reason card_declined                                           |
 * | pm_card_insufficient_funds   | declined, reason insufficient_funds                                      |
 * | pm_card_timeout              | charges, then answers only after `slowMs` (past the caller's timeout)    |
 * | pm_card_lost_response        | charges, then the response is lost (the caller sees a network error)    |
 * | anything else                | declined, reason unknown_payment_method                                  |
 *
 * A retry with the same key answers at once with the first outcome: the last
 * two are how "no double charge" is tested.
 */
export function sandboxProcessor(db: ShardedDb, options: { timeoutMs: number; slowMs?: number }): PaymentProcessor {
  // The sandbox keeps each customer's operations on that user's shard.
  async function record(customer: string, key: string, kind: string, method: string, amountMinor: number, currency: string, approved: boolean, reason: string): Promise<{ result: ProcessorResult; first: boolean }> {
    const reference = `sbx_${kind.slice(0, 2)}_${randomBytes(9).toString('base64url')}`;
    // Record the operation, or find the one recorded under this key before (idempotency).
    type Operation = { approved: boolean; decline_reason: string; reference: string };
    const { value: found } = await db.forUser(customer).writeStatement(
      (sql) =>
        writtenOrCurrent(
          sql<Operation[]>`
            insert into sandbox_processor.operations (idempotency_key, kind, payment_method, amount_minor, currency, approved, decline_reason, reference)
            values (${key}, ${kind}, ${method}, ${amountMinor}, ${currency}, ${approved}, ${reason}, ${reference}) on conflict (idempotency_key) do nothing
            returning approved, decline_reason, reference`,
          () => sql<Operation[]>`select approved, decline_reason, reference from sandbox_processor.operations where idempotency_key = ${key}`,
        ),
      { token: false },
    );
    // The sandbox never deletes an operation: a key that conflicted is there to read.
    const { row, written } = found!;
    const result: ProcessorResult = row.approved ? { approved: true, reference: row.reference } : { approved: false, reason: row.decline_reason, reference: row.reference };
    return { result, first: written };
  }

  // A processor that does not answer in time is an unknown outcome, as over a real network.
  const timed = <T>(work: Promise<T>): Promise<T> => withTimeout(work, options.timeoutMs, 'the processor', (message) => new ProcessorUnavailable(message));

  return {
    async authorize({ key, customer, amountMinor, currency, paymentMethod }) {
      const outcomes: Record<string, [boolean, string]> = {
        pm_card_ok: [true, ''],
        pm_card_timeout: [true, ''],
        pm_card_lost_response: [true, ''],
        pm_card_declined: [false, 'card_declined'],
        pm_card_insufficient_funds: [false, 'insufficient_funds'],
      };
      const [approved, reason] = outcomes[paymentMethod] ?? [false, 'unknown_payment_method'];
      return timed(
        (async () => {
          const { result, first } = await record(customer, key, 'authorize', paymentMethod, amountMinor, currency, approved, reason);
          if (first && paymentMethod === 'pm_card_timeout') await new Promise((r) => setTimeout(r, options.slowMs ?? options.timeoutMs * 3));
          if (first && paymentMethod === 'pm_card_lost_response') throw new ProcessorUnavailable('connection reset after the charge was made');
          return result;
        })(),
      );
    },
    async capture({ key, customer, amountMinor, currency }) {
      return timed(record(customer, key, 'capture', '', amountMinor, currency, true, '').then((r) => r.result));
    },
    async refund({ key, customer, amountMinor, currency }) {
      return timed(record(customer, key, 'refund', '', amountMinor, currency, true, '').then((r) => r.result));
    },
  };
}
