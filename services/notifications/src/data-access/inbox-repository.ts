import { formatId, micros, olderThan, scatterGather, shardOfId, type ShardedDb } from '@tessera/data';
import type { IncomingEvent, InboxRepository, Notification } from '../domain/notification';

interface NotificationRow {
  id: string;
  user_id: string;
  type: string;
  title: string;
  body: string;
  subject_id: string;
  created_at: Date;
  read_at: Date | null;
}

const toNotification = (r: NotificationRow): Notification => ({
  id: r.id,
  userId: r.user_id,
  type: r.type,
  title: r.title,
  body: r.body,
  subjectId: r.subject_id,
  createdAt: r.created_at,
  readAt: r.read_at ?? undefined,
});

export function inboxRepository(db: ShardedDb, onDeliveriesQueued: (cluster: string) => void): InboxRepository {
  return {
    async apply(event: IncomingEvent, entry, deadline) {
      const cluster = db.forUser(event.userId);
      const shard = shardOfId(event.userId);
      const body = { id: event.id, type: event.type, created: event.occurredAt.toISOString(), user_id: formatId('user', event.userId), data: event.payload };
      // One statement, atomic on its own: claim the event (the dedup key), then the inbox entry and
      // the webhook deliveries only if the claim is new. One round trip instead of six; no token,
      // since nobody reads this write back by one.
      const { value: fresh } = await cluster.writeStatement(async (sql) => {
        const [row] = await sql<{ fresh: boolean; n: number; q: number }[]>`
          with claimed as (
            insert into processed_events (event_id) values (${event.id}) on conflict (event_id) do nothing returning event_id
          ), notified as (
            insert into notifications (id, user_id, type, title, body, subject_id, created_at)
            select tessera_next_id(${shard}), ${event.userId}, ${event.type}, ${entry.title}, ${entry.body}, ${entry.subjectId}, ${event.occurredAt}
            from claimed
            returning id
          ), queued as (
            insert into webhook_deliveries (id, webhook_id, user_id, event_id, event_type, payload)
            select tessera_next_id(${shard}), w.id, w.user_id, ${event.id}, ${event.type}, ${sql.json(body as never)}
            from webhooks w, claimed
            where w.user_id = ${event.userId} and w.deleted_at is null
              and (cardinality(w.event_types) = 0 or ${event.type} = any(w.event_types))
            on conflict (webhook_id, event_id) do nothing
            returning id
          )
          select exists (select 1 from claimed) as fresh, (select count(*)::int from notified) as n, (select count(*)::int from queued) as q`;
        return row!;
      }, { deadline, token: false });
      // Wake the dispatcher only when there is something to deliver.
      if (fresh.q > 0) onDeliveriesQueued(cluster.name);
      return fresh.fresh;
    },

    async list(userId, page, { unreadOnly }, deadline) {
      const result = await scatterGather(
        [db.forUser(userId)],
        (sql, after, limit) => sql<(NotificationRow & { micros: string })[]>`
          select id::text, user_id::text, type, title, body, subject_id, created_at, read_at, ${micros(sql)} as micros
          from notifications where user_id = ${userId} ${unreadOnly ? sql`and read_at is null` : sql``} and ${olderThan(sql, after)}
          order by created_at desc, id desc limit ${limit}`,
        (row) => ({ createdAtMicros: BigInt(row.micros), id: BigInt(row.id) }),
        { page, read: { deadline } },
      );
      return { notifications: result.items.map(toNotification), nextPageToken: result.nextPageToken };
    },

    async markRead(userId, id, deadline) {
      if (shardOfId(id) !== shardOfId(userId)) return undefined;
      const { value } = await db.forUser(userId).write(async (tx) => {
        const rows = await tx<NotificationRow[]>`
          update notifications set read_at = coalesce(read_at, now()) where id = ${id} and user_id = ${userId}
          returning id::text, user_id::text, type, title, body, subject_id, created_at, read_at`;
        return rows[0] && toNotification(rows[0]);
      }, { deadline });
      return value;
    },
  };
}
