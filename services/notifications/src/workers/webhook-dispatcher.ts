import { Counter, type Registry } from 'prom-client';
import type { Logger } from '@tessera/logging';
import { fullJitterBackoff, PollLoop } from '@tessera/workers';
import type { DeliveryRepository, DueDelivery } from '../domain/notification';
import type { UrlPolicy } from '../domain/url-guard';
import { sign } from '../domain/webhook-signature';
import { postWebhook } from '../data-access/webhook-http';

export interface DispatcherOptions {
  deliveries: DeliveryRepository;
  logger: Logger;
  registry: Registry;
  policy: UrlPolicy;
  /** Retries stop after this long since the event (the delivery is then failed). */
  maxAgeMs: number;
  backoffBaseMs: number;
  requestTimeoutMs: number;
  pollMs?: number;
}

const BATCH = 20;
const MAX_BACKOFF_MS = 3_600_000;

/**
 * Delivers due webhook deliveries of one cluster: lease a batch, sign and POST
 * each, record the attempt, and retry failures with jittered exponential
 * backoff until `maxAgeMs`. Several processes may run it (rows are leased).
 */
export class WebhookDispatcher {
  private readonly loop: PollLoop;
  private readonly outcomes: Counter<'outcome'>;

  constructor(private readonly o: DispatcherOptions) {
    const existing = o.registry.getSingleMetric('webhook_deliveries_total') as Counter<'outcome'> | undefined;
    this.outcomes = existing ?? new Counter({ name: 'webhook_deliveries_total', help: 'Webhook delivery attempts by outcome.', labelNames: ['outcome'], registers: [o.registry] });
    this.loop = new PollLoop(() => this.round(), () => o.pollMs ?? 250, (error) => o.logger.warn({ err: error }, 'webhook dispatch round failed'), 10);
  }

  start(): void {
    this.loop.start();
  }

  poke(): void {
    this.loop.poke();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async round(): Promise<boolean> {
    // The lease outlives the request timeout, so a slow receiver is not sent the same delivery twice at once.
    const due = await this.o.deliveries.leaseDue(BATCH, this.o.requestTimeoutMs * 2);
    await Promise.all(due.map((d) => this.deliver(d)));
    return due.length === BATCH;
  }

  private async deliver(d: DueDelivery): Promise<void> {
    const body = JSON.stringify(d.payload);
    const attempt = d.attempts + 1;
    const headers = { 'content-type': 'application/json', 'user-agent': 'Tessera-Webhooks/1', 'tessera-event-id': d.eventId, 'tessera-signature': sign(d.signingSecret, Math.floor(Date.now() / 1000), body) };
    let responseStatus = 0;
    let error = '';
    try {
      responseStatus = await postWebhook(d.url, body, headers, { policy: this.o.policy, timeoutMs: this.o.requestTimeoutMs });
    } catch (e) {
      error = String((e as Error).message ?? e).slice(0, 500);
    }
    const ok = responseStatus >= 200 && responseStatus < 300;
    const status = ok ? 'delivered' : d.ageMs >= this.o.maxAgeMs ? 'failed' : 'pending';
    this.outcomes.inc({ outcome: status === 'pending' ? 'retry' : status });
    const retryInMs = status === 'pending' ? fullJitterBackoff(attempt, { baseMs: this.o.backoffBaseMs, maxMs: MAX_BACKOFF_MS }) : 0;
    await this.o.deliveries.recordAttempt(d, attempt, { status, responseStatus, error, retryInMs });
  }
}
