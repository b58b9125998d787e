/**
 * The scopes API keys and OAuth clients can hold. Users' own access tokens
 * carry their role instead; the edge maps routes to scopes.
 */
export const USER_SCOPES = ['profile:read', 'profile:write', 'products:read', 'orders:read', 'orders:write', 'notifications:read', 'notifications:write', 'webhooks:read', 'webhooks:write'] as const;
export const ADMIN_SCOPES = ['products:write', 'users:read', 'users:write'] as const;
export const ALL_SCOPES: readonly string[] = [...USER_SCOPES, ...ADMIN_SCOPES];

export type Role = 'user' | 'admin';

/** The scopes a principal of this role may grant to a key or client it creates. */
export function grantableScopes(role: Role): readonly string[] {
  return role === 'admin' ? ALL_SCOPES : USER_SCOPES;
}
