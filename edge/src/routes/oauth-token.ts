import formbody from '@fastify/formbody';
import type { ServiceError } from '@grpc/grpc-js';
import { GrpcStatus } from '@tessera/grpc-kit';
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Clients } from '../clients';
import { OAuthError } from '../errors/oauth-error';
import { HttpProblem } from '../errors/problem';
import { versionFormat } from './version-format';

// One answer for every bad client credential (unknown client, wrong secret, malformed id or Basic header):
// RFC 6749 §5.2 invalid_client, so a caller learns nothing about which part was wrong.
const BAD_CLIENT = () => new OAuthError('invalid_client', 'client authentication failed');

/** One form field: absent, or a single string (a repeated field is a malformed request, RFC 6749 §3.2). */
function field(request: FastifyRequest, name: string): string | undefined {
  const value = (request.body as Record<string, unknown> | undefined)?.[name];
  if (value === undefined || typeof value === 'string') return value;
  throw new OAuthError('invalid_request', `${name} must appear once`);
}

/** Client credentials from HTTP Basic (RFC 6749 §2.3.1: each part form-encoded) or the form body. */
function clientCredentials(request: FastifyRequest): { clientId: string | undefined; secret: string | undefined } {
  const authorization = request.headers.authorization;
  const basic = /^Basic (.+)$/i.exec(typeof authorization === 'string' ? authorization : '');
  if (!basic) return { clientId: field(request, 'client_id'), secret: field(request, 'client_secret') };
  const decoded = Buffer.from(basic[1]!, 'base64').toString();
  const colon = decoded.indexOf(':');
  try {
    return colon < 0 ? { clientId: undefined, secret: undefined } : { clientId: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    throw BAD_CLIENT();
  }
}

/**
 * POST /oauth/token: the OAuth 2.0 client-credentials grant for machine
 * clients. Registered in its own scope: form bodies are parsed here and
 * nowhere else.
 */
export function oauthTokenRoute(deps: { clients: Clients; authLimit: preHandlerAsyncHookHandler }) {
  // Client ids as either version handed them out: "cli_123" (v2) or "123" (v1).
  const ids = versionFormat('v1');
  const clientIdOf = (raw: string) => {
    try {
      return ids.parseId('oauthClient', raw, '/client_id');
    } catch (error) {
      if (error instanceof HttpProblem) throw BAD_CLIENT();
      throw error;
    }
  };
  return async (app: FastifyInstance) => {
    app.removeAllContentTypeParsers();
    await app.register(formbody, { bodyLimit: 16 * 1024 });
    // Anything but a form (JSON included) is read as no fields, which the grant then refuses.
    app.addContentTypeParser('*', (_request, payload, done) => {
      payload.resume();
      payload.on('end', () => done(null, undefined));
    });
    app.post('/oauth/token', { preHandler: deps.authLimit }, async (request, reply) => {
      const grant = field(request, 'grant_type');
      const scope = field(request, 'scope');
      if (grant !== 'client_credentials') throw new OAuthError('unsupported_grant_type', 'grant_type must be client_credentials');
      const { clientId, secret } = clientCredentials(request);
      if (!clientId || !secret) throw new OAuthError('invalid_client', 'client_id and client_secret are required');
      const { tokens } = await deps.clients.auth.issueClientToken({ clientId: clientIdOf(clientId), clientSecret: secret, scope: scope ?? '' }, { deadlineMs: 5_000 }).catch((error: ServiceError) => {
        if (error.code === GrpcStatus.UNAUTHENTICATED || error.code === GrpcStatus.INVALID_ARGUMENT) throw BAD_CLIENT();
        // A scope the client does not hold (RFC 6749 §5.2).
        if (error.code === GrpcStatus.PERMISSION_DENIED) throw new OAuthError('invalid_scope', error.details);
        throw error;
      });
      reply.header('cache-control', 'no-store').type('application/json; charset=utf-8');
      return JSON.stringify({ access_token: tokens!.accessToken, token_type: 'Bearer', expires_in: tokens!.expiresIn, scope: tokens!.scope });
    });
  };
}
