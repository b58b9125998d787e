import type { users as pb } from '@tessera/contracts';
import { z } from 'zod';
import { route, type Route } from './route';
import { chars, idParam } from './schemas';
import type { VersionFormat } from './version-format';

const presentKey = (f: VersionFormat, k: pb.ApiKey) => ({ id: f.id('apiKey', k.id), name: k.name, scopes: k.scopes, prefix: k.prefix, created_at: f.time(k.createTime), expires_at: f.time(k.expireTime), revoked_at: f.time(k.revokeTime) });

/** API keys belong to a person's own session: keys cannot mint keys. */
export function apiKeyRoutes(): Route[] {
  return [
    route({
      method: 'post', path: '/api-keys', tag: 'api-keys', summary: 'Create an API key (the secret is shown once)', access: 'user', scopes: [], sessionOnly: true, success: 201, response: 'ApiKeyCreated', pointers: { '/expire_time': '/expires_at' },
      body: z.strictObject({ name: chars(1, 100), scopes: z.array(z.string().max(64)).min(1).max(20), expires_at: z.iso.datetime().optional() }),
      async handle(ctx) {
        const res = await ctx.clients.apiKeys.createApiKey({ userId: ctx.userId(), name: ctx.body.name, scopes: ctx.body.scopes, ...(ctx.body.expires_at ? { expireTime: new Date(ctx.body.expires_at) } : {}) }, ctx.call());
        return { status: 201, body: { ...presentKey(ctx.fmt, res.apiKey!), key: res.secret }, headers: { 'Cache-Control': 'no-store' } };
      },
    }),
    route({
      method: 'get', path: '/api-keys', tag: 'api-keys', summary: 'List your API keys', access: 'user', scopes: [], sessionOnly: true, success: 200, response: 'ApiKeyList',
      async handle(ctx) {
        const res = await ctx.clients.apiKeys.listApiKeys({ userId: ctx.userId() }, ctx.call());
        return { status: 200, body: { data: res.apiKeys.map((k) => presentKey(ctx.fmt, k)) } };
      },
    }),
    route({
      method: 'delete', path: '/api-keys/:id', tag: 'api-keys', summary: 'Revoke one of your API keys', access: 'user', scopes: [], sessionOnly: true, success: 204, params: idParam,
      async handle(ctx) {
        await ctx.clients.apiKeys.revokeApiKey({ userId: ctx.userId(), id: ctx.fmt.parseId('apiKey', ctx.params.id, '/id') }, ctx.call());
        return { status: 204 };
      },
    }),
  ];
}
