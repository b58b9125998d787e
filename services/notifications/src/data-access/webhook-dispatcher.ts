import { createHmac } from 'node:crypto';
import { lookup } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Counter, type Registry } from 'prom-client';
import type { ClusterDb } from '@tessera/data';
import type { Logger } from '@tessera/logging';
import { PollLoop } from '@tessera/outbox';
import { isPublicAddress, type UrlPolicy } from '../domain/url-guard';

export interface DispatcherOptions {
  cluster: ClusterDb;
  logger: Logger;
  registry: Registry;
  policy: UrlPolicy;
  /** Retries stop after this long since the event (the delivery is then failed). */
  maxAgeMs: number;
  backoffBaseMs: number;
  requestTimeoutMs: number;
  pollMs?: number;
}

/**
 * Stripe-style signature: `Tessera-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 * Receivers recompute it over the raw body, compare in constant time, and
 * reject timestamps older than a few minutes (replay protection).
 */
export function sign(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Resolves like dns.lookup but refuses non-public addresses at connect time,
 * so a host that resolved to a public address when it was registered cannot
 * be re-pointed at an internal one later (DNS rebinding).
 */
function guardedLookup(policy: UrlPolicy): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as unknown as { address: string; family: number }[];
      const allowed = policy.allowPrivate ? list : list.filter((a) => isPublicAddress(a.address));
      if (allowed.length === 0) return callback(Object.assign(new Error(`refusing to connect to ${hostname}: not a public address`), { code: 'EADDRNOTPUBLIC' }), '', 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: typeof allowed) => void)(null, allowed);
      return callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

interface Due {
  id: string;
  webhook_id: string;
  event_id: string;
  payload: Record<string, unknown>;
  attempts: number;
  url: string;
  signing_secret: string;
  age_ms: number;
}

/** Delivers pending webhook deliveries of one cluster; several processes may run it (rows are leased). */
export class WebhookDispatcher {
  private readonly loop: PollLoop;
  private readonly outcomes: Counter<'outcome'>;

  constructor(private readonly o: DispatcherOptions) {
    const existing = o.registry.getSingleMetric('webhook_deliveries_total') as Counter<'outcome'> | undefined;
    this.outcomes = existing ?? new Counter({ name: 'webhook_deliveries_total', help: 'Webhook delivery attempts by outcome.', labelNames: ['outcome'], registers: [o.registry] });
    this.loop = new PollLoop(() => this.round(), () => o.pollMs ?? 250, (error) => o.logger.warn({ err: error }, 'webhook dispatch round failed'));
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
    const lease = Math.ceil((this.o.requestTimeoutMs * 2) / 1000);
    // Lease due rows by pushing their next attempt past the request timeout; a crash just lets the lease lapse.
    const due = await this.o.cluster.primary<Due[]>`
      with picked as (
        select d.id from webhook_deliveries d
        where d.status = 'pending' and d.next_attempt_at <= now()
        order by d.next_attempt_at limit 20 for update skip locked
      )
      update webhook_deliveries d set next_attempt_at = now() + make_interval(secs => ${lease})
      from picked, webhooks w
      where d.id = picked.id and w.id = d.webhook_id
      returning d.id::text, d.webhook_id::text, d.event_id, d.payload, d.attempts, w.url, w.signing_secret,
                (extract(epoch from now() - d.created_at) * 1000)::float8 as age_ms`;
    await Promise.all(due.map((d) => this.deliver(d)));
    return due.length === 20;
  }

  private async deliver(d: Due): Promise<void> {
    const body = JSON.stringify(d.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const attempt = d.attempts + 1;
    let status = 0;
    let error = '';
    try {
      status = await this.post(d.url, body, { 'content-type': 'application/json', 'user-agent': 'Tessera-Webhooks/1', 'tessera-event-id': d.event_id, 'tessera-signature': sign(d.signing_secret, timestamp, body) });
    } catch (e) {
      error = String((e as Error).message ?? e).slice(0, 500);
    }
    const ok = status >= 200 && status < 300;
    const giveUp = !ok && d.age_ms >= this.o.maxAgeMs;
    // Exponential backoff with full jitter: base·2^attempt, randomized, capped at an hour.
    const delayMs = Math.round(Math.random() * Math.min(3_600_000, this.o.backoffBaseMs * 2 ** Math.min(attempt, 20)));
    this.outcomes.inc({ outcome: ok ? 'delivered' : giveUp ? 'failed' : 'retry' });
    await this.o.cluster.write(async (tx) => {
      await tx`insert into webhook_attempts (id, delivery_id, webhook_id, attempt, response_status, error)
               values (tessera_next_id(((${d.id}::bigint >> 12) & 1023)::int), ${d.id}, ${d.webhook_id}, ${attempt}, ${status}, ${error})`;
      await tx`update webhook_deliveries set attempts = ${attempt},
                 status = ${ok ? 'delivered' : giveUp ? 'failed' : 'pending'},
                 next_attempt_at = now() + make_interval(secs => ${delayMs / 1000})
               where id = ${d.id}`;
    });
  }

  private post(url: string, body: string, headers: Record<string, string>): Promise<number> {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = client.request(target, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, lookup: guardedLookup(this.o.policy), timeout: this.o.requestTimeoutMs }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.o.requestTimeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }
}
