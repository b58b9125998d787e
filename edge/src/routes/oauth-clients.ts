import type { users as pb } from '@tessera/contracts';
import { z } from 'zod';
import { route, type Route } from './route';
import { chars, idParam } from './schemas';
import type { VersionFormat } from './version-format';

const presentClient = (f: VersionFormat, c: pb.OAuthClient) => ({ client_id: f.id('oauthClient', c.id), name: c.name, scopes: c.scopes, created_at: f.time(c.createTime) });

/** Machine clients for the client-credentials grant; admin only. */
export function oauthClientRoutes(): Route[] {
  return [
    route({
      method: 'post', path: '/oauth-clients', tag: 'oauth-clients', summary: 'Register a machine client (the secret is shown once)', access: 'admin', scopes: ['users:write'], success: 201, response: 'OAuthClientCreated',
      body: z.strictObject({ name: chars(1, 100), scopes: z.array(z.string().max(64)).min(1).max(20) }),
      async handle(ctx) {
        const res = await ctx.clients.oauthClients.createOAuthClient({ name: ctx.body.name, scopes: ctx.body.scopes }, ctx.call());
        return { status: 201, body: { ...presentClient(ctx.fmt, res.client!), client_secret: res.clientSecret }, headers: { 'Cache-Control': 'no-store' } };
      },
    }),
    route({
      method: 'get', path: '/oauth-clients', tag: 'oauth-clients', summary: 'List machine clients', access: 'admin', scopes: ['users:read'], success: 200, response: 'OAuthClientList',
      async handle(ctx) {
        return { status: 200, body: { data: (await ctx.clients.oauthClients.listOAuthClients({}, ctx.call())).clients.map((c) => presentClient(ctx.fmt, c)) } };
      },
    }),
    route({
      method: 'delete', path: '/oauth-clients/:id', tag: 'oauth-clients', summary: 'Delete a machine client', access: 'admin', scopes: ['users:write'], success: 204, params: idParam,
      async handle(ctx) {
        await ctx.clients.oauthClients.deleteOAuthClient({ id: ctx.fmt.parseId('oauthClient', ctx.params.id, '/id') }, ctx.call());
        return { status: 204 };
      },
    }),
  ];
}
