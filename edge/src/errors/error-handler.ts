import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '@tessera/logging';
import { requestContext } from '../http/request-context';
import { OAuthError } from './oauth-error';
import { problem, sendProblem, toProblem } from './problem';

/** Anything no route matched: a 404 problem. */
export const notFound: RequestHandler = (req, res) => sendProblem(res, problem(404, `no route for ${req.method} ${req.path}`), requestContext(res).requestId);

/** The edge's one error boundary: every error becomes a problem+json answer; unknown ones are logged and answered 500. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const { requestId, traceparent } = requestContext(res);
    const p = toProblem(error, logger.child({ requestId, traceparent, method: req.method, path: req.path }));
    if (p instanceof OAuthError) {
      // RFC 6749 §5.2: token errors are never cached and carry `error` / `error_description`.
      res.setHeader('Cache-Control', 'no-store');
      sendProblem(res, p, requestId, { error: p.error, error_description: p.detail });
      return;
    }
    sendProblem(res, p, requestId);
  };
}
