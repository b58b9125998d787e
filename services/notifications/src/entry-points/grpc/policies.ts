import type { events as eventsPb, notifications as pb } from '@tessera/contracts';
import { allow, type Policies } from '@tessera/grpc-kit';

/** A user reads and marks their own inbox. */
export const notificationsPolicies: Policies<pb.NotificationsServiceServer> = {
  listNotifications: allow.user({ scopes: ['notifications:read'], owner: 'userId' }),
  markNotificationRead: allow.user({ scopes: ['notifications:write'], owner: 'userId' }),
};

/** A user manages their own webhooks. */
export const webhooksPolicies: Policies<pb.WebhooksServiceServer> = {
  createWebhook: allow.user({ scopes: ['webhooks:write'], owner: 'userId' }),
  listWebhooks: allow.user({ scopes: ['webhooks:read'], owner: 'userId' }),
  deleteWebhook: allow.user({ scopes: ['webhooks:write'], owner: 'userId' }),
  listWebhookDeliveries: allow.user({ scopes: ['webhooks:read'], owner: 'userId' }),
};

/** Events come only from the services whose outbox relays push them (the topology's `events`). */
export const eventConsumerPolicies: Policies<eventsPb.EventConsumerServiceServer> = {
  consumeEvents: allow.services('orders', 'payments'),
};
