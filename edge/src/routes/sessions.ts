import type { users as pb } from '@tessera/contracts';
import { z } from 'zod';
import { route, type Route } from './route';
import { email } from './schemas';

const tokenPair = (t: pb.TokenPair | undefined) => ({ access_token: t?.accessToken, refresh_token: t?.refreshToken || undefined, token_type: 'Bearer', expires_in: t?.expiresIn, scope: t?.scope || undefined });
const refreshBody = z.strictObject({ refresh_token: z.string().min(1).max(200) });

/** Log in, refresh and log out: the same in every version. */
export function sessionRoutes(): Route[] {
  return [
    route({
      method: 'post', path: '/auth/login', tag: 'auth', summary: 'Log in with email and password', access: 'public', scopes: [], authLimited: true, success: 200, response: 'TokenPair',
      body: z.strictObject({ email, password: z.string().max(1_024) }),
      async handle(ctx) {
        const res = await ctx.clients.auth.login({ email: ctx.body.email, password: ctx.body.password }, ctx.call());
        return { status: 200, body: tokenPair(res.tokens), headers: { 'Cache-Control': 'no-store' } };
      },
    }),
    route({
      method: 'post', path: '/auth/refresh', tag: 'auth', summary: 'Exchange a refresh token for a new pair', access: 'public', scopes: [], authLimited: true, success: 200, response: 'TokenPair',
      body: refreshBody,
      async handle(ctx) {
        const res = await ctx.clients.auth.refreshToken({ refreshToken: ctx.body.refresh_token }, ctx.call());
        return { status: 200, body: tokenPair(res.tokens), headers: { 'Cache-Control': 'no-store' } };
      },
    }),
    route({
      method: 'post', path: '/auth/logout', tag: 'auth', summary: 'Revoke a refresh token and its family', access: 'public', scopes: [], success: 204,
      body: refreshBody,
      async handle(ctx) {
        await ctx.clients.auth.logout({ refreshToken: ctx.body.refresh_token }, ctx.call());
        return { status: 204 };
      },
    }),
  ];
}
