import { users as pb } from '@tessera/contracts';
import { formatId } from '@tessera/data';
import { incomingConsistencyTokens, type CallContext } from '@tessera/grpc-kit';
import type { ApiKey } from '../../domain/api-keys';
import type { OAuthClient } from '../../domain/oauth-clients';
import type { ReadConsistency, User } from '../../domain/user';

export const userToPb = (user: User): pb.User => ({
  id: formatId('user', user.id),
  email: user.email,
  displayName: user.displayName,
  role: user.role === 'admin' ? pb.Role.ROLE_ADMIN : pb.Role.ROLE_USER,
  createTime: user.createdAt,
  updateTime: user.updatedAt,
});

export const apiKeyToPb = (key: ApiKey): pb.ApiKey => ({
  id: formatId('apiKey', key.id),
  userId: formatId('user', key.userId),
  name: key.name,
  scopes: key.scopes,
  prefix: key.prefix,
  createTime: key.createdAt,
  ...(key.expiresAt ? { expireTime: key.expiresAt } : {}),
  ...(key.revokedAt ? { revokeTime: key.revokedAt } : {}),
});

export const clientToPb = (client: OAuthClient): pb.OAuthClient => ({
  id: formatId('oauthClient', client.id),
  name: client.name,
  scopes: client.scopes,
  createTime: client.createdAt,
});

export const roleToPb = (role: 'user' | 'admin'): pb.Role => (role === 'admin' ? pb.Role.ROLE_ADMIN : pb.Role.ROLE_USER);

export const consistency = (ctx: CallContext): ReadConsistency => ({ tokens: incomingConsistencyTokens(ctx), deadline: ctx.deadline });
