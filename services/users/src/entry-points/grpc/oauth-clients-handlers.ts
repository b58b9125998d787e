import { users as pb } from '@tessera/contracts';
import { parseId } from '@tessera/data';
import type { AsyncServiceImpl } from '@tessera/grpc-kit';
import * as oauth from '../../domain/oauth-clients';
import { clientToPb } from './mapping';

export function oauthClientsHandlers(deps: oauth.OAuthDeps): AsyncServiceImpl<pb.OAuthClientsServiceServer> {
  return {
    createOAuthClient: async (req, ctx) => {
      const { client, secret } = await oauth.createOAuthClient({ name: req.name, scopes: req.scopes }, deps, ctx.deadline);
      return { client: clientToPb(client), clientSecret: secret };
    },
    listOAuthClients: async (_req, ctx) => ({ clients: (await deps.clients.list(ctx.deadline)).map(clientToPb) }),
    deleteOAuthClient: async (req, ctx) => {
      await oauth.deleteOAuthClient(parseId('oauthClient', req.id), deps, ctx.deadline);
      return {};
    },
  };
}
