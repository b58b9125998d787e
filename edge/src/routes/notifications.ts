import type { notifications as pb } from '@tessera/contracts';
import { z } from 'zod';
import { pageQuery, pageRequest, pageWindow } from './paging';
import { route, type Route } from './route';
import { idParam } from './schemas';
import type { Version } from './version';
import type { VersionFormat } from './version-format';

const presentNotification = (f: VersionFormat, n: pb.Notification) => ({ id: f.id('notification', n.id), type: n.type, title: n.title, body: n.body, subject_id: n.subjectId, created_at: f.time(n.createTime), read_at: f.time(n.readTime) });

/** The user's inbox of order and payment events. */
export function notificationRoutes(version: Version): Route[] {
  return [
    route({
      method: 'get', path: '/notifications', tag: 'notifications', summary: 'Your inbox, newest first', access: 'user', scopes: ['notifications:read'], success: 200, response: 'NotificationPage',
      query: pageQuery(version, { unread: z.enum(['true', 'false']).optional() }),
      async handle(ctx) {
        const q = ctx.query;
        const res = await ctx.clients.notifications.listNotifications({ userId: ctx.userId(), page: pageRequest(q), unreadOnly: q.unread === 'true' }, ctx.call());
        return { status: 200, body: ctx.fmt.page(res.notifications.map((n) => presentNotification(ctx.fmt, n)), pageWindow(q, res.page?.nextPageToken)) };
      },
    }),
    route({
      method: 'post', path: '/notifications/:id/read', tag: 'notifications', summary: 'Mark a notification read', access: 'user', scopes: ['notifications:write'], success: 200, response: 'NotificationRead', params: idParam,
      async handle(ctx) {
        const { notification: n } = await ctx.clients.notifications.markNotificationRead({ userId: ctx.userId(), id: ctx.fmt.parseId('notification', ctx.params.id, '/id') }, ctx.call());
        return { status: 200, body: { id: ctx.fmt.id('notification', n!.id), read_at: ctx.fmt.time(n!.readTime) } };
      },
    }),
  ];
}
