import { createHash } from 'node:crypto';
import { AppError, Code, type FieldViolation } from '@tessera/errors';
import { ProcessorUnavailable, type Payment, type PaymentProcessor, type PaymentRepository, type ReadConsistency, type Written } from './payment';

export type WrittenPayment = Written<Payment>;

export interface PaymentsDeps {
  payments: PaymentRepository;
  processor: PaymentProcessor;
  /** Test hook for crash tests: called at named points; kills the process in those tests, a no-op otherwise. */
  crashPoint: (name: string) => void;
}

const METHOD = /^pm_[a-z0-9_]{1,60}$/;
const CURRENCY = /^[A-Z]{3}$/;
const KEY = /^[\x21-\x7e]{1,255}$/;

function unknownOutcome(error: unknown): never {
  if (error instanceof ProcessorUnavailable) throw new AppError(Code.UNAVAILABLE, 'the payment processor did not answer; retry with the same idempotency key', [], { cause: error });
  throw error;
}

/**
 * Authorizes once per (user, key). A retry finds the same payment; if it is
 * still pending (the processor's answer was lost), the processor is asked
 * again with the same processor key and answers with the first outcome.
 */
export async function authorizePayment(
  input: { userId: string; orderId: string; amountMinor: number; currency: string; paymentMethod: string; key: string },
  deps: PaymentsDeps,
  deadline: number,
): Promise<Written<Payment>> {
  const violations: FieldViolation[] = [];
  if (!Number.isSafeInteger(input.amountMinor) || input.amountMinor < 1) violations.push({ field: '/amount/amount_minor', description: 'must be a positive whole number' });
  if (!CURRENCY.test(input.currency)) violations.push({ field: '/amount/currency', description: 'must be an ISO 4217 code like "USD"' });
  if (!METHOD.test(input.paymentMethod)) violations.push({ field: '/payment_method', description: 'must be a payment method token like "pm_card_ok"' });
  if (!KEY.test(input.key)) violations.push({ field: '/idempotency_key', description: '1 to 255 visible ASCII characters' });
  if (violations.length > 0) throw AppError.invalidArgument('request has invalid fields', violations);

  const requestHash = createHash('sha256').update(JSON.stringify([input.orderId, input.amountMinor, input.currency, input.paymentMethod])).digest('hex');
  const pending = await deps.payments.createPending({ ...input, requestHash }, deadline);
  const payment = pending.value;
  if (payment.requestHash !== requestHash) throw AppError.failedPrecondition('this idempotency key was used for a different payment');
  if (payment.status !== 'pending') return pending;

  const result = await deps.processor
    .authorize({ key: `authorize:${payment.userId}:${input.key}`, customer: payment.userId, amountMinor: payment.amountMinor, currency: payment.currency, paymentMethod: payment.paymentMethod })
    .catch(unknownOutcome);
  deps.crashPoint('after_processor_authorize');
  return result.approved
    ? deps.payments.transition(payment.userId, payment.id, ['pending'], 'authorized', { reference: result.reference }, deadline)
    : deps.payments.transition(payment.userId, payment.id, ['pending'], 'declined', { reference: result.reference, declineReason: result.reason }, deadline);
}

export async function capturePayment(userId: string, id: string, deps: PaymentsDeps, deadline: number): Promise<Written<Payment>> {
  const payment = await getPayment(userId, id, deps, deadline);
  if (payment.status === 'captured') return { value: payment, token: '' };
  if (payment.status !== 'authorized') throw AppError.failedPrecondition(`a ${payment.status} payment cannot be captured`);
  const result = await deps.processor.capture({ key: `capture:${id}`, customer: userId, reference: payment.processorReference, amountMinor: payment.amountMinor, currency: payment.currency }).catch(unknownOutcome);
  if (!result.approved) throw AppError.failedPrecondition(`capture refused: ${result.reason}`);
  return deps.payments.transition(userId, id, ['authorized'], 'captured', { reference: result.reference }, deadline);
}

/** Refunds in full, once: the processor key is derived from the payment, so a repeated refund is the same refund. */
export async function refundPayment(userId: string, id: string, deps: PaymentsDeps, deadline: number): Promise<Written<Payment>> {
  const payment = await getPayment(userId, id, deps, deadline);
  if (payment.status === 'refunded') return { value: payment, token: '' };
  if (payment.status !== 'authorized' && payment.status !== 'captured') throw AppError.failedPrecondition(`a ${payment.status} payment cannot be refunded`);
  const result = await deps.processor.refund({ key: `refund:${id}`, customer: userId, reference: payment.processorReference, amountMinor: payment.amountMinor, currency: payment.currency }).catch(unknownOutcome);
  if (!result.approved) throw AppError.failedPrecondition(`refund refused: ${result.reason}`);
  return deps.payments.transition(userId, id, ['authorized', 'captured'], 'refunded', { reference: result.reference }, deadline);
}

export async function getPayment(userId: string, id: string, deps: Pick<PaymentsDeps, 'payments'>, deadline: number): Promise<Payment> {
  const payment = await deps.payments.findById(userId, id, deadline);
  if (!payment) throw AppError.notFound('payment');
  return payment;
}

/** The order's payments, oldest first; a replica serves them once it has the caller's writes. */
export async function listPayments(userId: string, orderId: string, deps: Pick<PaymentsDeps, 'payments'>, read: ReadConsistency): Promise<Payment[]> {
  return deps.payments.listForOrder(userId, orderId, read);
}
