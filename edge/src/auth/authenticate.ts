import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Authenticator } from './authenticator';

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Credentials → principal on the request context (or a 401); no credentials leaves it anonymous. */
export function authenticate(authenticator: Authenticator): preHandlerAsyncHookHandler {
  return async (request) => {
    const principal = await authenticator.authenticate(header(request, 'authorization'), header(request, 'x-api-key'));
    if (principal) request.ctx.principal = principal;
  };
}
