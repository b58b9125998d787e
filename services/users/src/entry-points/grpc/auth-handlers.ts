import { users as pb } from '@tessera/contracts';
import type { PublicJwk } from '@tessera/auth';
import { parseId } from '@tessera/data';
import type { AsyncServiceImpl } from '@tessera/grpc-kit';
import * as oauth from '../../domain/oauth-clients';
import * as sessions from '../../domain/sessions';
import { userToPb } from './mapping';

const pair = (t: { accessToken: string; refreshToken?: string; expiresIn: number; scope: string }): pb.TokenPair => ({
  accessToken: t.accessToken,
  refreshToken: t.refreshToken ?? '',
  tokenType: 'Bearer',
  expiresIn: t.expiresIn,
  scope: t.scope,
});

export function authHandlers(deps: sessions.SessionDeps & oauth.OAuthDeps & { jwks: readonly PublicJwk[] }): AsyncServiceImpl<pb.AuthServiceServer> {
  return {
    login: async (req, ctx) => {
      const { user, tokens } = await sessions.login({ email: req.email, password: req.password }, deps, ctx.deadline);
      return { user: userToPb(user), tokens: pair(tokens) };
    },
    refreshToken: async (req, ctx) => ({ tokens: pair(await sessions.refresh(req.refreshToken, deps, ctx.deadline)) }),
    logout: async (req, ctx) => {
      await sessions.logout(req.refreshToken, deps, ctx.deadline);
      return {};
    },
    getJwks: async () => ({ keys: deps.jwks.map((k) => ({ ...k })) }),
    issueClientToken: async (req, ctx) => {
      const clientId = parseId('oauthClient', req.clientId, '/client_id');
      return { tokens: pair(await oauth.issueClientToken({ clientId, secret: req.clientSecret, scope: req.scope }, deps, ctx.deadline)) };
    },
  };
}
