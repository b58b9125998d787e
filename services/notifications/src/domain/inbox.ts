import { AppError } from '@tessera/errors';
import type { PageRequest } from '@tessera/data';
import type { IncomingEvent, InboxRepository, Notification } from './notification';

function money(payload: Record<string, unknown>): string {
  const minor = Number(payload.total_minor ?? payload.amount_minor ?? 0);
  return `${(minor / 100).toFixed(2)} ${String(payload.currency ?? '')}`.trim();
}

/** What the user reads for each kind of event. */
export function describe(event: IncomingEvent): { title: string; body: string; subjectId: string } {
  const subject = String(event.payload.order_id ?? event.aggregateId);
  switch (event.type) {
    case 'order.created':
      return { title: 'Order received', body: `We received order ${subject} for ${money(event.payload)}.`, subjectId: subject };
    case 'order.paid':
      return { title: 'Order paid', body: `Payment for order ${subject} went through.`, subjectId: subject };
    case 'order.payment_failed':
      return { title: 'Payment failed', body: `Payment for order ${subject} failed: ${String(event.payload.reason ?? 'declined')}.`, subjectId: subject };
    case 'order.cancelled':
      return { title: 'Order cancelled', body: `Order ${subject} was cancelled${event.payload.refunded ? ' and refunded' : ''}.`, subjectId: subject };
    case 'payment.refunded':
      return { title: 'Refund issued', body: `${money(event.payload)} was refunded for order ${subject}.`, subjectId: subject };
    default:
      return { title: event.type, body: `Event ${event.type} for ${subject}.`, subjectId: subject };
  }
}

/** Applies a batch in order; duplicates (redeliveries) have no second effect. Returns how many were new. */
export async function consume(events: IncomingEvent[], deps: { inbox: InboxRepository }, deadline: number): Promise<number> {
  let fresh = 0;
  for (const event of events) {
    if (!event.id || !event.type) throw AppError.invalidArgument('event without id or type');
    if (await deps.inbox.apply(event, describe(event), deadline)) fresh++;
  }
  return fresh;
}

/** The user's inbox, newest first (optionally unread only). */
export async function listNotifications(userId: string, page: PageRequest, filter: { unreadOnly: boolean }, deps: { inbox: InboxRepository }, deadline: number): Promise<{ notifications: Notification[]; nextPageToken: string }> {
  return deps.inbox.list(userId, page, filter, deadline);
}

/** Marks one of the user's notifications read; another user's, or a missing one, is NOT_FOUND alike. */
export async function markRead(userId: string, id: string, deps: { inbox: InboxRepository }, deadline: number): Promise<Notification> {
  const notification = await deps.inbox.markRead(userId, id, deadline);
  if (!notification) throw AppError.notFound('notification');
  return notification;
}
