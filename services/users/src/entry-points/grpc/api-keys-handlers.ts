import { users as pb } from '@tessera/contracts';
import { formatId, parseId } from '@tessera/data';
import type { AsyncServiceImpl } from '@tessera/grpc-kit';
import * as apiKeys from '../../domain/api-keys';
import { apiKeyToPb, roleToPb } from './mapping';

export function apiKeysHandlers(deps: apiKeys.ApiKeyDeps): AsyncServiceImpl<pb.ApiKeysServiceServer> {
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
      return { userId: formatId('user', principal.userId), keyId: formatId('apiKey', principal.keyId), scopes: principal.scopes, role: roleToPb(principal.role) };
    },
  };
}
