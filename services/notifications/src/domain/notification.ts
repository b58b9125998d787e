import type { PageRequest } from '@tessera/data';
export interface Notification {
  id: string;
  userId: string;
  type: string;
  title: string;
  body: string;
  subjectId: string;
  createdAt: Date;
  readAt: Date | undefined;
}

export interface Webhook {
  id: string;
  userId: string;
  url: string;
  eventTypes: string[];
  createdAt: Date;
}

export interface DeliveryAttempt {
  id: string;
  eventId: string;
  attempt: number;
  responseStatus: number;
  error: string;
  createdAt: Date;
}

export interface IncomingEvent {
  id: string;
  type: string;
  aggregateId: string;
  /** Decimal user id. */
  userId: string;
  payload: Record<string, unknown>;
  occurredAt: Date;
}

export interface InboxRepository {
  /** Applies an event once: the inbox entry and the webhook deliveries, or nothing for a duplicate. */
  apply(event: IncomingEvent, entry: { title: string; body: string; subjectId: string }, deadline: number): Promise<boolean>;
  list(userId: string, page: PageRequest, filter: { unreadOnly: boolean }, deadline: number): Promise<{ notifications: Notification[]; nextPageToken: string }>;
  markRead(userId: string, id: string, deadline: number): Promise<Notification | undefined>;
}

export interface WebhookRepository {
  create(input: { userId: string; url: string; eventTypes: string[] }, deadline: number): Promise<{ webhook: Webhook; signingSecret: string }>;
  list(userId: string, deadline: number): Promise<Webhook[]>;
  remove(userId: string, id: string, deadline: number): Promise<boolean>;
  attempts(userId: string, webhookId: string, page: PageRequest, deadline: number): Promise<{ attempts: DeliveryAttempt[]; nextPageToken: string } | undefined>;
}

/** A webhook delivery that is due, leased to the dispatcher that read it. */
export interface DueDelivery {
  id: string;
  webhookId: string;
  eventId: string;
  payload: Record<string, unknown>;
  /** Attempts made so far. */
  attempts: number;
  url: string;
  signingSecret: string;
  /** Time since the event was queued. */
  ageMs: number;
}

export interface DeliveryOutcome {
  status: 'delivered' | 'pending' | 'failed';
  responseStatus: number;
  error: string;
  /** When to try again (pending only). */
  retryInMs: number;
}

export interface DeliveryRepository {
  /** Up to `limit` due deliveries, leased for `leaseMs` (other dispatchers skip them meanwhile). */
  leaseDue(limit: number, leaseMs: number): Promise<DueDelivery[]>;
  /** Logs the attempt and moves the delivery on, in one transaction. */
  recordAttempt(delivery: DueDelivery, attempt: number, outcome: DeliveryOutcome): Promise<void>;
}
