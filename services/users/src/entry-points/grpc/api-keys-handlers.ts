import { users as pb } from '@tessera/contracts';
import { formatId, parseId } from '@tessera/data';
import type { AsyncServiceImpl } from '@tessera/grpc-kit';
import * as apiKeys from '../../domain/api-keys';
import type { AccessTokenIssuer } from '../../domain/sessions';
import { apiKeyToPb, roleToPb } from './mapping';

/** How long the access token standing for a key's principal lives: past the edge's cache of the answer, short enough that a revoked key's token dies soon. */
const PRINCIPAL_TOKEN_TTL_S = 120;

export function apiKeysHandlers(deps: apiKeys.ApiKeyDeps & { tokens: AccessTokenIssuer }): AsyncServiceImpl<pb.ApiKeysServiceServer> {
  return {
    createApiKey: async (req, ctx) => {
      const { key, secret } = await apiKeys.createApiKey(
        { userId: parseId('user', req.userId, '/user_id'), name: req.name, scopes: req.scopes, expiresAt: req.expireTime },
        deps,
        ctx.deadline,
      );
      return { apiKey: apiKeyToPb(key), secret };
    },
    listApiKeys: async (req, ctx) => ({ apiKeys: (await deps.apiKeys.listForUser(parseId('user', req.userId, '/user_id'), ctx.deadline)).map(apiKeyToPb) }),
    revokeApiKey: async (req, ctx) => {
      await apiKeys.revokeApiKey(parseId('user', req.userId, '/user_id'), parseId('apiKey', req.id), deps, ctx.deadline);
      return {};
    },
    verifyApiKey: async (req, ctx) => {
      const principal = await apiKeys.verifyApiKey(req.key, deps, ctx.deadline);
      const [userId, keyId] = [formatId('user', principal.userId), formatId('apiKey', principal.keyId)];
      const principalToken = await deps.tokens.issue({ sub: userId, role: principal.role, scope: principal.scopes.join(' '), keyId }, PRINCIPAL_TOKEN_TTL_S);
      return { userId, keyId, scopes: principal.scopes, role: roleToPb(principal.role), principalToken };
    },
  };
}
