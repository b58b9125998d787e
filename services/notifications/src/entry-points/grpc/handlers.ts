import { events as eventsPb, notifications as pb } from '@tessera/contracts';
import { formatId, pageRequest, parseId } from '@tessera/data';
import { AppError } from '@tessera/errors';
import type { AsyncServiceImpl } from '@tessera/grpc-kit';
import * as inbox from '../../domain/inbox';
import type { InboxRepository, Notification, Webhook } from '../../domain/notification';
import * as webhooks from '../../domain/webhooks';

const notificationToPb = (n: Notification): pb.Notification => ({
  id: formatId('notification', n.id),
  userId: formatId('user', n.userId),
  type: n.type,
  title: n.title,
  body: n.body,
  subjectId: n.subjectId,
  createTime: n.createdAt,
  ...(n.readAt ? { readTime: n.readAt } : {}),
});

const webhookToPb = (w: Webhook): pb.Webhook => ({ id: formatId('webhook', w.id), userId: formatId('user', w.userId), url: w.url, eventTypes: w.eventTypes, createTime: w.createdAt });

const user = (id: string) => parseId('user', id, '/user_id');

export function notificationsHandlers(deps: { inbox: InboxRepository }): AsyncServiceImpl<pb.NotificationsServiceServer> {
  return {
    listNotifications: async (req, ctx) => {
      const page = await inbox.listNotifications(user(req.userId), pageRequest(req.page), { unreadOnly: req.unreadOnly }, deps, ctx.deadline);
      return { notifications: page.notifications.map(notificationToPb), page: { nextPageToken: page.nextPageToken } };
    },
    markNotificationRead: async (req, ctx) => {
      return { notification: notificationToPb(await inbox.markRead(user(req.userId), parseId('notification', req.id), deps, ctx.deadline)) };
    },
  };
}

export function webhooksHandlers(deps: webhooks.WebhookDeps): AsyncServiceImpl<pb.WebhooksServiceServer> {
  return {
    createWebhook: async (req, ctx) => {
      const { webhook, signingSecret } = await webhooks.createWebhook({ userId: user(req.userId), url: req.url, eventTypes: req.eventTypes }, deps, ctx.deadline);
      return { webhook: webhookToPb(webhook), signingSecret };
    },
    listWebhooks: async (req, ctx) => ({ webhooks: (await webhooks.listWebhooks(user(req.userId), deps, ctx.deadline)).map(webhookToPb) }),
    deleteWebhook: async (req, ctx) => {
      await webhooks.deleteWebhook(user(req.userId), parseId('webhook', req.id), deps, ctx.deadline);
      return {};
    },
    listWebhookDeliveries: async (req, ctx) => {
      const page = await webhooks.listAttempts(user(req.userId), parseId('webhook', req.webhookId, '/webhook_id'), pageRequest(req.page), deps, ctx.deadline);
      return {
        deliveries: page.attempts.map((a) => ({ id: formatId('delivery', a.id), eventId: a.eventId, attempt: a.attempt, responseStatus: a.responseStatus, error: a.error, createTime: a.createdAt })),
        page: { nextPageToken: page.nextPageToken },
      };
    },
  };
}

export function eventConsumerHandlers(deps: { inbox: InboxRepository }): AsyncServiceImpl<eventsPb.EventConsumerServiceServer> {
  return {
    consumeEvents: async (req, ctx) => {
      const events = req.events.map((e, i) => {
        let payload: Record<string, unknown>;
        try {
          payload = JSON.parse(e.payloadJson || '{}') as Record<string, unknown>;
        } catch {
          throw AppError.invalidArgument('event payload is not JSON', [{ field: `/events/${i}/payload_json`, description: 'must be JSON' }]);
        }
        return { id: e.id, type: e.type, aggregateId: e.aggregateId, userId: parseId('user', e.userId, `/events/${i}/user_id`), payload, occurredAt: e.occurredAt ?? new Date() };
      });
      return { processed: await inbox.consume(events, deps, ctx.deadline) };
    },
  };
}
