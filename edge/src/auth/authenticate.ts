import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { HttpProblem } from '../errors/problem';
import type { RateLimits } from '../rate-limit/rate-limits';
import type { Authenticator } from './authenticator';

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * Credentials → principal on the request context (or a 401); no credentials
 * leaves it anonymous. Failed authentications are counted per client address
 * before the next one is tried: an address past its budget gets 429 without a
 * lookup, so forged credentials cannot outrun the limits that come after.
 */
export function authenticate(authenticator: Authenticator, failures: RateLimits['failures']): preHandlerAsyncHookHandler {
  return async (request) => {
    const authorization = header(request, 'authorization');
    const apiKey = header(request, 'x-api-key');
    if (authorization === undefined && apiKey === undefined) return;
    failures.beforeAuthentication(request);
    try {
      const principal = await authenticator.authenticate(authorization, apiKey);
      if (principal) request.ctx.principal = principal;
    } catch (error) {
      if (error instanceof HttpProblem && error.status === 401) await failures.authenticationFailed(request);
      throw error;
    }
  };
}
