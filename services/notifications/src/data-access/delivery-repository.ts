import { shardOfId, type ClusterDb } from '@tessera/data';
import type { DeliveryRepository, DueDelivery } from '../domain/notification';

interface DueRow {
  id: string;
  webhook_id: string;
  event_id: string;
  payload: Record<string, unknown>;
  attempts: number;
  url: string;
  signing_secret: string;
  age_ms: number;
}

/** Pending webhook deliveries of one cluster, leased so that several dispatchers can share the work. */
export function deliveryRepository(cluster: ClusterDb): DeliveryRepository {
  return {
    async leaseDue(limit, leaseMs) {
      // Lease due rows by pushing their next attempt past the lease; a crash just lets the lease lapse.
      const rows = await cluster.primary<DueRow[]>`
        with picked as (
          select d.id from webhook_deliveries d
          where d.status = 'pending' and d.next_attempt_at <= now()
          order by d.next_attempt_at limit ${limit} for update skip locked
        )
        update webhook_deliveries d set next_attempt_at = now() + make_interval(secs => ${leaseMs / 1000})
        from picked, webhooks w
        where d.id = picked.id and w.id = d.webhook_id
        returning d.id::text, d.webhook_id::text, d.event_id, d.payload, d.attempts, w.url, w.signing_secret,
                  (extract(epoch from now() - d.created_at) * 1000)::float8 as age_ms`;
      return rows.map((r): DueDelivery => ({ id: r.id, webhookId: r.webhook_id, eventId: r.event_id, payload: r.payload, attempts: r.attempts, url: r.url, signingSecret: r.signing_secret, ageMs: r.age_ms }));
    },

    async recordAttempt(delivery, attempt, outcome) {
      await cluster.write(async (tx) => {
        // The attempt lives on the delivery's logical shard.
        await tx`insert into webhook_attempts (id, delivery_id, webhook_id, attempt, response_status, error)
                 values (tessera_next_id(${shardOfId(delivery.id)}), ${delivery.id}, ${delivery.webhookId}, ${attempt}, ${outcome.responseStatus}, ${outcome.error})`;
        await tx`update webhook_deliveries set attempts = ${attempt}, status = ${outcome.status},
                   next_attempt_at = now() + make_interval(secs => ${outcome.retryInMs / 1000})
                 where id = ${delivery.id}`;
      });
    },
  };
}
