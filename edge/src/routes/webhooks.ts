import type { notifications as pb } from '@tessera/contracts';
import { z } from 'zod';
import { route, type Route } from './route';
import { idParam } from './schemas';
import type { VersionFormat } from './version-format';

const presentWebhook = (f: VersionFormat, w: pb.Webhook) => ({ id: f.id('webhook', w.id), url: w.url, event_types: w.eventTypes, created_at: f.time(w.createTime) });

/** Signed webhook subscriptions of the calling user. */
export function webhookRoutes(): Route[] {
  return [
    route({
      method: 'post', path: '/webhooks', tag: 'webhooks', summary: 'Register a webhook (the signing secret is shown once)', access: 'user', scopes: ['webhooks:write'], success: 201, response: 'WebhookCreated',
      body: z.strictObject({ url: z.string().max(2_000), event_types: z.array(z.string().max(64)).max(20).default([]) }),
      async handle(ctx) {
        const res = await ctx.clients.webhooks.createWebhook({ userId: ctx.userId(), url: ctx.body.url, eventTypes: ctx.body.event_types }, ctx.call());
        return { status: 201, body: { ...presentWebhook(ctx.fmt, res.webhook!), signing_secret: res.signingSecret }, headers: { 'Cache-Control': 'no-store' } };
      },
    }),
    route({
      method: 'get', path: '/webhooks', tag: 'webhooks', summary: 'Your webhooks', access: 'user', scopes: ['webhooks:read'], success: 200, response: 'WebhookList',
      async handle(ctx) {
        return { status: 200, body: { data: (await ctx.clients.webhooks.listWebhooks({ userId: ctx.userId() }, ctx.call())).webhooks.map((w) => presentWebhook(ctx.fmt, w)) } };
      },
    }),
    route({
      method: 'delete', path: '/webhooks/:id', tag: 'webhooks', summary: 'Delete one of your webhooks', access: 'user', scopes: ['webhooks:write'], success: 204, params: idParam,
      async handle(ctx) {
        await ctx.clients.webhooks.deleteWebhook({ userId: ctx.userId(), id: ctx.fmt.parseId('webhook', ctx.params.id, '/id') }, ctx.call());
        return { status: 204 };
      },
    }),
  ];
}
