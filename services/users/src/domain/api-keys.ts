import { AppError, type FieldViolation } from '@tessera/errors';
import { grantableScopes, type Role } from '@tessera/auth';

export interface ApiKey {
  id: string;
  userId: string;
  name: string;
  scopes: string[];
  prefix: string;
  createdAt: Date;
  expiresAt: Date | undefined;
  revokedAt: Date | undefined;
}

export interface ApiKeyPrincipal {
  userId: string;
  keyId: string;
  scopes: string[];
  role: Role;
}

export interface ApiKeyRepository {
  /** Stores a new key for the user and returns it with its plaintext secret (shown once). */
  create(input: { userId: string; name: string; scopes: string[]; expiresAt: Date | undefined }, deadline: number): Promise<{ key: ApiKey; secret: string }>;
  listForUser(userId: string, deadline: number): Promise<ApiKey[]>;
  revoke(userId: string, keyId: string, deadline: number): Promise<boolean>;
  /** The live principal for a presented key; undefined for unknown, revoked, expired or malformed keys alike. */
  verify(secret: string, deadline: number): Promise<ApiKeyPrincipal | undefined>;
}

export interface ApiKeyDeps {
  apiKeys: ApiKeyRepository;
  /** The owner's role, which bounds what the key may grant. */
  roleOf: (userId: string, deadline: number) => Promise<Role | undefined>;
}

export async function createApiKey(input: { userId: string; name: string; scopes: string[]; expiresAt: Date | undefined }, deps: ApiKeyDeps, deadline: number) {
  const role = await deps.roleOf(input.userId, deadline);
  if (!role) throw AppError.notFound('user');
  const allowed = grantableScopes(role);
  const violations: FieldViolation[] = [];
  const name = input.name.trim();
  if ([...name].length < 1 || [...name].length > 100) violations.push({ field: '/name', description: 'must be 1 to 100 characters' });
  if (input.scopes.length === 0) violations.push({ field: '/scopes', description: 'must grant at least one scope' });
  input.scopes.forEach((s, i) => {
    if (!allowed.includes(s)) violations.push({ field: `/scopes/${i}`, description: `must be one of: ${allowed.join(', ')}` });
  });
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) violations.push({ field: '/expire_time', description: 'must be in the future' });
  if (violations.length > 0) throw AppError.invalidArgument('request has invalid fields', violations);
  return deps.apiKeys.create({ ...input, name, scopes: [...new Set(input.scopes)] }, deadline);
}

export async function revokeApiKey(userId: string, keyId: string, deps: ApiKeyDeps, deadline: number): Promise<void> {
  if (!(await deps.apiKeys.revoke(userId, keyId, deadline))) throw AppError.notFound('API key');
}

export async function verifyApiKey(secret: string, deps: ApiKeyDeps, deadline: number): Promise<ApiKeyPrincipal> {
  const principal = await deps.apiKeys.verify(secret, deadline);
  // One answer for unknown, revoked, expired and malformed keys: nothing to probe.
  if (!principal) throw AppError.unauthenticated('invalid API key');
  return principal;
}
