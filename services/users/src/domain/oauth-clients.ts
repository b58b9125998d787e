import { AppError, type FieldViolation } from '@tessera/errors';
import { ALL_SCOPES } from '@tessera/auth';
import type { AccessTokenIssuer, Revocations } from './sessions';

export interface OAuthClient {
  id: string;
  name: string;
  scopes: string[];
  createdAt: Date;
}

export interface OAuthClientRepository {
  create(input: { name: string; scopes: string[] }, deadline: number): Promise<{ client: OAuthClient; secret: string }>;
  list(deadline: number): Promise<OAuthClient[]>;
  remove(id: string, deadline: number): Promise<boolean>;
  /** The client when id and secret match a live client; undefined otherwise (constant-time compare). */
  authenticate(id: string, secret: string, deadline: number): Promise<OAuthClient | undefined>;
}

export interface OAuthDeps {
  clients: OAuthClientRepository;
  tokens: AccessTokenIssuer;
  revocations: Revocations;
  formatClientId: (id: string) => string;
}

export async function createOAuthClient(input: { name: string; scopes: string[] }, deps: OAuthDeps, deadline: number) {
  const violations: FieldViolation[] = [];
  const name = input.name.trim();
  if ([...name].length < 1 || [...name].length > 100) violations.push({ field: '/name', description: 'must be 1 to 100 characters' });
  if (input.scopes.length === 0) violations.push({ field: '/scopes', description: 'must grant at least one scope' });
  input.scopes.forEach((s, i) => {
    if (!ALL_SCOPES.includes(s)) violations.push({ field: `/scopes/${i}`, description: `must be one of: ${ALL_SCOPES.join(', ')}` });
  });
  if (violations.length > 0) throw AppError.invalidArgument('request has invalid fields', violations);
  return deps.clients.create({ name, scopes: [...new Set(input.scopes)] }, deadline);
}

export async function deleteOAuthClient(id: string, deps: OAuthDeps, deadline: number): Promise<void> {
  if (!(await deps.clients.remove(id, deadline))) throw AppError.notFound('OAuth client');
  // Its tokens die with it, not at their expiry.
  await deps.revocations.ended(deps.formatClientId(id), { all: true });
}

/** RFC 6749 §4.4: client credentials → an access token for the client, with the requested subset of its scopes. */
export async function issueClientToken(input: { clientId: string; secret: string; scope: string }, deps: OAuthDeps, deadline: number) {
  const client = await deps.clients.authenticate(input.clientId, input.secret, deadline);
  if (!client) throw AppError.unauthenticated('invalid client credentials');
  const requested = input.scope.trim() ? input.scope.trim().split(/\s+/) : client.scopes;
  const refused = requested.filter((s) => !client.scopes.includes(s));
  if (refused.length > 0) throw AppError.permissionDenied(`scope not granted to this client: ${refused.join(' ')}`);
  const scope = [...new Set(requested)].join(' ');
  const accessToken = await deps.tokens.issue({ sub: deps.formatClientId(client.id), role: 'user', scope, clientId: deps.formatClientId(client.id) });
  return { accessToken, expiresIn: deps.tokens.ttlSeconds, scope };
}
