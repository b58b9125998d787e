import type { ReadConsistency, Written } from '@tessera/data';

export type { ReadConsistency, Written };

export type PaymentStatus = 'pending' | 'authorized' | 'captured' | 'declined' | 'refunded';

export interface LedgerEntry {
  status: PaymentStatus;
  amountMinor: number;
  currency: string;
  processorReference: string;
  createdAt: Date;
}

export interface Payment {
  id: string;
  userId: string;
  orderId: string;
  status: PaymentStatus;
  amountMinor: number;
  currency: string;
  paymentMethod: string;
  declineReason: string;
  processorReference: string;
  requestHash: string;
  ledger: LedgerEntry[];
  createdAt: Date;
}

export type ProcessorResult = { approved: true; reference: string } | { approved: false; reason: string; reference: string };

/** Raised when the processor's answer is unknown (timeout, lost connection): retry with the same key. */
export class ProcessorUnavailable extends Error {
  override readonly name = 'ProcessorUnavailable';
}

/**
 * A card processor, idempotent by key like real ones (Stripe's Idempotency-Key):
 * the same key always gets the first outcome and never a second charge.
 */
export interface PaymentProcessor {
  /** `customer` is the paying user: the processor's customer reference, as real processors take one. */
  authorize(req: { key: string; customer: string; amountMinor: number; currency: string; paymentMethod: string }): Promise<ProcessorResult>;
  capture(req: { key: string; customer: string; reference: string; amountMinor: number; currency: string }): Promise<ProcessorResult>;
  refund(req: { key: string; customer: string; reference: string; amountMinor: number; currency: string }): Promise<ProcessorResult>;
}

export interface PaymentRepository {
  findById(userId: string, id: string, deadline: number): Promise<Payment | undefined>;
  listForOrder(userId: string, orderId: string, read: ReadConsistency): Promise<Payment[]>;
  /** Inserts a pending payment, or returns the one that already holds the key. */
  createPending(input: { userId: string; orderId: string; key: string; requestHash: string; amountMinor: number; currency: string; paymentMethod: string }, deadline: number): Promise<Written<Payment>>;
  /** Moves a payment from one of `from` to `to` with a ledger entry and an outbox event; the current payment either way. */
  transition(userId: string, id: string, from: PaymentStatus[], to: PaymentStatus, detail: { reference: string; declineReason?: string }, deadline: number): Promise<Written<Payment>>;
}
