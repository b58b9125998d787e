import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Logger } from '@tessera/logging';
import { OAuthError } from './oauth-error';
import { problem, problemBody, sendProblem, toProblem } from './problem';

/** The edge's one error boundary: every error becomes a problem+json answer; unknown ones are logged and answered 500; no route is a 404 problem. */
export function installErrorHandling(app: FastifyInstance, logger: Logger): void {
  app.setNotFoundHandler((request, reply) => sendProblem(reply, problem(404, `no route for ${request.method} ${request.url.split('?')[0]}`), request.ctx.requestId));
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { requestId, traceparent } = request.ctx ?? { requestId: 'unknown', traceparent: '' };
    const p = toProblem(error, logger.child({ requestId, traceparent, method: request.method, path: request.url.split('?')[0] }), request.routeOptions.config.pointers);
    if (p instanceof OAuthError) {
      // RFC 6749 §5.2: token errors are application/json with `error` / `error_description`, never cached
      // (OAuth client libraries check the media type); the problem members stay beside them.
      reply.header('cache-control', 'no-store');
      sendProblem(reply, p, requestId, { mediaType: 'application/json; charset=utf-8', extra: { error: p.error, error_description: p.detail } });
      return;
    }
    sendProblem(reply, p, requestId);
  });
}

/**
 * Errors Node's HTTP parser raises before there is a request (headers too
 * large, malformed request lines, timeouts) answered as problem+json too,
 * then the connection closed (Fastify's `clientErrorHandler`).
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail] =
    error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'request headers too large'] : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'the request took too long to arrive'] : [400, 'malformed HTTP request'];
  const body = problemBody(problem(status, detail), 'none');
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${problem(status).title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}
