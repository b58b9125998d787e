import type { RequestHandler } from 'express';
import { requestContext } from '../http/request-context';
import type { Authenticator } from './authenticator';

/** Credentials → principal on the request context (or a 401); no credentials leaves it anonymous. */
export function authenticate(authenticator: Authenticator): RequestHandler {
  return async (req, res, next) => {
    const principal = await authenticator.authenticate(req.get('authorization'), req.get('x-api-key'));
    if (principal) requestContext(res).principal = principal;
    next();
  };
}
