import express, { Router, type Request, type RequestHandler } from 'express';
import type { Clients } from '../clients';
import { OAuthError } from '../errors/oauth-error';
import { versionFormat } from './version-format';

/** One form field: absent, or a single string (a repeated field is a malformed request, RFC 6749 §3.2). */
function field(req: Request, name: string): string | undefined {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  if (value === undefined || typeof value === 'string') return value;
  throw new OAuthError('invalid_request', `${name} must appear once`);
}

/** Client credentials from HTTP Basic (RFC 6749 §2.3.1: each part form-encoded) or the form body. */
function clientCredentials(req: Request): { clientId: string | undefined; secret: string | undefined } {
  const basic = /^Basic (.+)$/i.exec(req.get('authorization') ?? '');
  if (!basic) return { clientId: field(req, 'client_id'), secret: field(req, 'client_secret') };
  const decoded = Buffer.from(basic[1]!, 'base64').toString();
  const colon = decoded.indexOf(':');
  try {
    return colon < 0 ? { clientId: undefined, secret: undefined } : { clientId: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    throw new OAuthError('invalid_client', 'malformed Basic credentials');
  }
}

/** POST /oauth/token: the OAuth 2.0 client-credentials grant for machine clients. */
export function oauthTokenRoute(deps: { clients: Clients; authLimit: RequestHandler[] }): Router {
  const router = Router();
  const ids = versionFormat('v2');
  router.post('/oauth/token', express.urlencoded({ extended: false, limit: '16kb' }), ...deps.authLimit, async (req, res) => {
    const grant = field(req, 'grant_type');
    const scope = field(req, 'scope');
    if (grant !== 'client_credentials') throw new OAuthError('unsupported_grant_type', 'grant_type must be client_credentials');
    const { clientId, secret } = clientCredentials(req);
    if (!clientId || !secret) throw new OAuthError('invalid_client', 'client_id and client_secret are required');
    const { tokens } = await deps.clients.auth.issueClientToken({ clientId: ids.parseId('oauthClient', clientId, '/client_id'), clientSecret: secret, scope: scope ?? '' }, { deadlineMs: 5_000 });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ access_token: tokens!.accessToken, token_type: 'Bearer', expires_in: tokens!.expiresIn, scope: tokens!.scope });
  });
  return router;
}
