import { randomBytes } from 'node:crypto';
import { micros, olderThan, scatterGather, shardOfId, type ShardedDb } from '@tessera/data';
import type { DeliveryAttempt, Webhook, WebhookRepository } from '../domain/notification';

interface WebhookRow {
  id: string;
  user_id: string;
  url: string;
  event_types: string[];
  created_at: Date;
}

const toWebhook = (r: WebhookRow): Webhook => ({ id: r.id, userId: r.user_id, url: r.url, eventTypes: r.event_types, createdAt: r.created_at });

export function webhookRepository(db: ShardedDb): WebhookRepository {
  return {
    async create({ userId, url, eventTypes }, deadline) {
      const signingSecret = `whsec_${randomBytes(24).toString('base64url')}`;
      const { value } = await db.forUser(userId).write(async (tx) => {
        const rows = await tx<WebhookRow[]>`
          insert into webhooks (id, user_id, url, event_types, signing_secret)
          values (tessera_next_id(${shardOfId(userId)}), ${userId}, ${url}, ${tx.array(eventTypes)}, ${signingSecret})
          returning id::text, user_id::text, url, event_types, created_at`;
        return toWebhook(rows[0]!);
      }, { deadline });
      return { webhook: value, signingSecret };
    },

    async list(userId, deadline) {
      const rows = await db.forUser(userId).read(
        (sql) => sql<WebhookRow[]>`select id::text, user_id::text, url, event_types, created_at from webhooks where user_id = ${userId} and deleted_at is null order by created_at desc, id desc`,
        { deadline },
      );
      return rows.map(toWebhook);
    },

    async remove(userId, id, deadline) {
      if (shardOfId(id) !== shardOfId(userId)) return false;
      const { value } = await db.forUser(userId).write(async (tx) => {
        const removed = await tx`update webhooks set deleted_at = now() where id = ${id} and user_id = ${userId} and deleted_at is null`;
        if (removed.count === 0) return false;
        await tx`update webhook_deliveries set status = 'failed' where webhook_id = ${id} and status = 'pending'`;
        return true;
      }, { deadline });
      return value;
    },

    async attempts(userId, webhookId, page, deadline) {
      if (shardOfId(webhookId) !== shardOfId(userId)) return undefined;
      const cluster = db.forUser(userId);
      const owned = await cluster.read((sql) => sql`select 1 from webhooks where id = ${webhookId} and user_id = ${userId}`, { deadline, consistency: 'primary' });
      if (owned.length === 0) return undefined;
      const result = await scatterGather(
        [cluster],
        (sql, after, limit) => sql<{ id: string; event_id: string; attempt: number; response_status: number; error: string; created_at: Date; micros: string }[]>`
          select a.id::text, d.event_id, a.attempt, a.response_status, a.error, a.created_at, ${micros(sql, 'a.created_at')} as micros
          from webhook_attempts a join webhook_deliveries d on d.id = a.delivery_id
          where a.webhook_id = ${webhookId} and ${olderThan(sql, after, { createdAt: 'a.created_at', id: 'a.id' })}
          order by a.created_at desc, a.id desc limit ${limit}`,
        (row) => ({ createdAtMicros: BigInt(row.micros), id: BigInt(row.id) }),
        { page: { ...page, offset: 0 }, read: { deadline, consistency: 'primary' } },
      );
      const attempts: DeliveryAttempt[] = result.items.map((r) => ({ id: r.id, eventId: r.event_id, attempt: r.attempt, responseStatus: r.response_status, error: r.error, createdAt: r.created_at }));
      return { attempts, nextPageToken: result.nextPageToken };
    },
  };
}
