import { users as pb } from '@tessera/contracts';
import { GrpcStatus } from '@tessera/grpc-kit';
import { z } from 'zod';
import { hasScopes } from '../auth/principal';
import { problem } from '../errors/problem';
import { pageQuery, pageRequest, pageWindow } from './paging';
import { route, type Route, type RouteContext } from './route';
import { chars, email, idParam, newPassword } from './schemas';
import type { Version } from './version';
import type { VersionFormat } from './version-format';

export const presentUser = (f: VersionFormat, u: pb.User) => ({
  id: f.id('user', u.id),
  email: u.email,
  display_name: u.displayName,
  role: u.role === pb.Role.ROLE_ADMIN ? 'admin' : 'user',
  created_at: f.time(u.createTime),
  updated_at: f.time(u.updateTime),
});

/**
 * One's own account needs the route's profile scope (checked before); someone
 * else's needs an admin whose credential also holds `users:read` or
 * `users:write` (an admin's own session holds every scope; an admin's API key
 * only those it was given). Anyone else gets the same 404 as for a missing user.
 * Returns whether this is an admin acting on another account.
 */
function assertMayActOn(ctx: Pick<RouteContext<unknown, unknown, unknown>, 'principal' | 'userId'>, target: string, scope: 'users:read' | 'users:write'): 'self' | 'admin' {
  if (ctx.userId() === target) return 'self';
  const p = ctx.principal;
  if (p?.role === 'admin' && hasScopes(p, [scope])) return 'admin';
  throw problem(404, 'user not found');
}

/** The enumeration-safe answer: the same whether the address was free or taken. */
const ACCEPTED = { status: 202, body: { status: 'accepted', detail: 'if the email address was free, the change is made: log in or read your profile to see it' } };

/** ALREADY_EXISTS (the email is taken) answered like success, in enumeration-safe mode. */
async function unlessTaken<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if ((error as { code?: number }).code === GrpcStatus.ALREADY_EXISTS) return undefined;
    throw error;
  }
}

export function userRoutes(version: Version, enumerationSafe: boolean): Route[] {
  return [
    route({
      method: 'post', path: '/users', tag: 'users', summary: enumerationSafe ? 'Register a user (202 whether or not the email was free)' : 'Register a user', access: 'public', scopes: [], authLimited: true, ...(enumerationSafe ? { success: 202, response: 'Accepted' as const } : { success: 201, response: 'User' as const, locates: true }),
      body: z.strictObject({ email, password: newPassword, display_name: chars(1, 100) }),
      async handle(ctx) {
        const created = ctx.clients.users.createUser({ email: ctx.body.email, password: ctx.body.password, displayName: ctx.body.display_name }, ctx.call());
        // The password is hashed before the email is tried, so both answers take as long.
        if (enumerationSafe) {
          await unlessTaken(created);
          return ACCEPTED;
        }
        const { user } = await created;
        return { status: 201, body: presentUser(ctx.fmt, user!), headers: { Location: `/api/${version}/users/${ctx.fmt.id('user', user!.id)}` } };
      },
    }),
    route({
      method: 'get', path: '/users/me', tag: 'users', summary: 'The calling user', access: 'user', scopes: ['profile:read'], success: 200, response: 'User',
      async handle(ctx) {
        return { status: 200, body: presentUser(ctx.fmt, (await ctx.clients.users.getUser({ id: ctx.userId() }, ctx.call())).user!) };
      },
    }),
    route({
      method: 'post', path: '/users/me/password', tag: 'users', summary: 'Change the password (needs the current one; every session ends)', access: 'user', scopes: ['profile:write'], authLimited: true, success: 204,
      body: z.strictObject({ current_password: z.string().max(1_024), new_password: newPassword }),
      async handle(ctx) {
        await ctx.clients.users.changePassword({ id: ctx.userId(), currentPassword: ctx.body.current_password, newPassword: ctx.body.new_password }, ctx.call());
        return { status: 204 };
      },
    }),
    route({
      method: 'get', path: '/users', tag: 'users', summary: 'List users (admin)', access: 'admin', scopes: ['users:read'], success: 200, response: 'UserPage', query: pageQuery(version),
      async handle(ctx) {
        const res = await ctx.clients.users.listUsers({ page: pageRequest(ctx.query) }, ctx.call());
        return { status: 200, body: ctx.fmt.page(res.users.map((u) => presentUser(ctx.fmt, u)), pageWindow(ctx.query, res.page?.nextPageToken)) };
      },
    }),
    route({
      method: 'get', path: '/users/:id', tag: 'users', summary: 'A user (self or admin)', access: 'user', scopes: ['profile:read'], success: 200, response: 'User', params: idParam,
      async handle(ctx) {
        const id = ctx.fmt.parseId('user', ctx.params.id, '/id');
        assertMayActOn(ctx, id, 'users:read');
        return { status: 200, body: presentUser(ctx.fmt, (await ctx.clients.users.getUser({ id }, ctx.call())).user!) };
      },
    }),
    route({
      method: 'patch', path: '/users/:id', tag: 'users', summary: 'Change a user (self or admin); a new email needs current_password and ends every session', access: 'user', scopes: ['profile:write'], success: 200, response: 'User', params: idParam,
      ...(enumerationSafe ? { alsoSuccess: [{ status: 202, description: 'A new email was asked for (whether or not it was free)', response: 'Accepted' as const }] } : {}),
      body: z.strictObject({ display_name: chars(1, 100).optional(), email: email.optional(), current_password: z.string().max(1_024).optional() }),
      async handle(ctx) {
        const id = ctx.fmt.parseId('user', ctx.params.id, '/id');
        const actor = assertMayActOn(ctx, id, 'users:write');
        const { display_name: displayName, email: newEmail, current_password: currentPassword } = ctx.body;
        // Only an admin acting on someone else changes an email without the account's password.
        const reauth = newEmail !== undefined && actor === 'self' ? { currentPassword: currentPassword ?? '' } : {};
        const updated = ctx.clients.users.updateUser({ id, ...(displayName !== undefined ? { displayName } : {}), ...(newEmail !== undefined ? { email: newEmail } : {}), ...reauth }, ctx.call());
        if (enumerationSafe && newEmail !== undefined) {
          await unlessTaken(updated);
          return ACCEPTED;
        }
        const { user } = await updated;
        return { status: 200, body: presentUser(ctx.fmt, user!) };
      },
    }),
    route({
      method: 'delete', path: '/users/:id', tag: 'users', summary: 'Delete a user (self or admin)', access: 'user', scopes: ['profile:write'], success: 204, params: idParam,
      async handle(ctx) {
        const id = ctx.fmt.parseId('user', ctx.params.id, '/id');
        assertMayActOn(ctx, id, 'users:write');
        await ctx.clients.users.deleteUser({ id }, ctx.call());
        return { status: 204 };
      },
    }),
  ];
}
