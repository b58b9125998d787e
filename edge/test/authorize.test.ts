import { authorize, type AccessRule } from '../src/auth/authorize';
import type { Principal } from '../src/auth/principal';

const user: Principal = { kind: 'user', userId: 'usr_1', role: 'user', scopes: null, key: 'user:usr_1', bearer: 'token' };
const admin: Principal = { kind: 'user', userId: 'usr_2', role: 'admin', scopes: null, key: 'user:usr_2', bearer: 'token' };
const key = (scopes: string[], role: 'user' | 'admin' = 'user'): Principal => ({ kind: 'api_key', userId: 'usr_1', role, scopes, key: 'key:1', bearer: 'token' });
const client = (scopes: string[]): Principal => ({ kind: 'client', clientId: 'cli_1', role: 'user', scopes, key: 'client:cli_1', bearer: 'token' });

const rule = (r: Partial<AccessRule>): AccessRule => ({ access: 'user', scopes: [], ...r });
const status = (r: AccessRule, p: Principal | undefined) => authorize(r, p)?.status ?? 'allowed';

describe('authorize (route rule × principal)', () => {
  test('when a route is public, then anyone, signed in or not, may call it', () => {
    expect(status(rule({ access: 'public' }), undefined)).toBe('allowed');
    expect(status(rule({ access: 'public' }), client([]))).toBe('allowed');
  });

  test('when no principal calls a user route, then 401 with a Bearer challenge', () => {
    const denied = authorize(rule({}), undefined);
    expect(denied?.status).toBe(401);
    expect(denied?.headers['WWW-Authenticate']).toBe('Bearer');
  });

  test('when a session calls a user route, then its role bounds it and scopes do not apply', () => {
    expect(status(rule({ scopes: ['orders:read'] }), user)).toBe('allowed');
    expect(status(rule({ access: 'admin', scopes: ['users:read'] }), user)).toBe(403);
    expect(status(rule({ access: 'admin', scopes: ['users:read'] }), admin)).toBe('allowed');
  });

  test('when an API key calls, then it needs every scope the route names, and admin routes need an admin owner', () => {
    expect(status(rule({ scopes: ['orders:read'] }), key(['orders:read']))).toBe('allowed');
    expect(status(rule({ scopes: ['orders:read', 'orders:write'] }), key(['orders:read']))).toBe(403);
    expect(status(rule({ access: 'admin', scopes: ['users:read'] }), key(['users:read']))).toBe(403);
    expect(status(rule({ access: 'admin', scopes: ['users:read'] }), key(['users:read'], 'admin'))).toBe('allowed');
    expect(status(rule({ access: 'admin', scopes: ['users:read'] }), key(['profile:read'], 'admin'))).toBe(403);
  });

  test('when a route is for sessions only, then keys and clients are refused even with scopes', () => {
    expect(status(rule({ sessionOnly: true }), user)).toBe('allowed');
    expect(status(rule({ sessionOnly: true }), key(['users:write'], 'admin'))).toBe(403);
  });

  test('when a machine client calls, then only routes that admit clients, and only with their scopes', () => {
    expect(status(rule({ scopes: ['orders:read'] }), client(['orders:read']))).toBe(403);
    expect(status(rule({ access: 'admin', allowClients: true, scopes: ['products:write'] }), client(['products:write']))).toBe('allowed');
    expect(status(rule({ access: 'admin', allowClients: true, scopes: ['products:write'] }), client(['products:read']))).toBe(403);
  });
});
