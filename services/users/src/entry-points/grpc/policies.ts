import type { users as pb } from '@tessera/contracts';
import { allow, type Policies } from '@tessera/grpc-kit';

/** A user reads and changes their own account; an admin holding the users scopes acts on others. */
export const usersPolicies: Policies<pb.UsersServiceServer> = {
  createUser: allow.public(),
  getUser: allow.user({ scopes: ['profile:read'], owner: 'id', othersNeed: ['users:read'] }),
  updateUser: allow.user({ scopes: ['profile:write'], owner: 'id', othersNeed: ['users:write'] }),
  deleteUser: allow.user({ scopes: ['profile:write'], owner: 'id', othersNeed: ['users:write'] }),
  listUsers: allow.admin(['users:read']),
  changePassword: allow.user({ scopes: ['profile:write'], owner: 'id' }),
};

/** Signing in presents its own credential (a password, a refresh token, a client secret), so these are public; the edge limits their rate. */
export const authPolicies: Policies<pb.AuthServiceServer> = {
  login: allow.public(),
  refreshToken: allow.public(),
  logout: allow.public(),
  getJwks: allow.public(),
  issueClientToken: allow.public(),
};

/** Keys are minted and managed only from a signed-in session (a key cannot mint keys); checking one is the edge's job. */
export const apiKeysPolicies: Policies<pb.ApiKeysServiceServer> = {
  createApiKey: allow.user({ owner: 'userId', sessionOnly: true }),
  listApiKeys: allow.user({ owner: 'userId', sessionOnly: true }),
  revokeApiKey: allow.user({ owner: 'userId', sessionOnly: true }),
  verifyApiKey: allow.services('edge'),
};

/** Machine clients are an admin's business. */
export const oauthClientsPolicies: Policies<pb.OAuthClientsServiceServer> = {
  createOAuthClient: allow.admin(['users:write']),
  listOAuthClients: allow.admin(['users:read']),
  deleteOAuthClient: allow.admin(['users:write']),
};
