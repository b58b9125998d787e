import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Histogram, type Registry } from 'prom-client';
import { continueTrace } from '@tessera/grpc-kit';
import { endSpan, startServerSpan, type Span } from '@tessera/tracing';
import type { Principal } from '../auth/principal';

/** What the edge knows about the request being served. */
export interface RequestContext {
  requestId: string;
  traceparent: string;
  /** Epoch ms at arrival: the request's time budget counts from here. */
  started: number;
  /** The matched route's pattern (undefined for 404s), read once: Fastify builds `routeOptions` anew on each read. */
  route: string | undefined;
  principal?: Principal | undefined;
  /** This request's span, when tracing is on. */
  span?: Span | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    ctx: RequestContext;
  }
}

/**
 * First hook: request id, trace and timing, so every later answer (problems
 * included) carries them, and every request is measured by its route pattern
 * ("unmatched" for 404s).
 */
export function installRequestContext(app: FastifyInstance, registry: Registry): void {
  const duration = new Histogram({ name: 'http_server_request_duration_seconds', help: 'REST request latency by route and status.', labelNames: ['method', 'route', 'status'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] });
  app.decorateRequest('ctx', null as unknown as RequestContext);
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done) => {
    const trace = continueTrace(request.headers['x-request-id'], request.headers.traceparent);
    // With tracing on, the request's span is what the services' spans hang from (its id is the traceparent passed on).
    const span = startServerSpan(request.method, request.headers.traceparent, { 'http.request.method': request.method });
    request.ctx = { requestId: trace.requestId, traceparent: span?.traceparent ?? trace.traceparent, started: Date.now(), route: request.routeOptions.url, span: span?.span };
    reply.header('x-request-id', trace.requestId);
    done();
  });
  // Measured when the answer is ready (onSend) rather than written (onResponse): the answer to a client that
  // hung up mid-request is never written, and onResponse never fires for it; it would vanish from the metrics
  // and its span would never end.
  app.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload, done) => {
    const route = request.ctx.route;
    duration.observe({ method: request.method, route: route ?? 'unmatched', status: String(reply.statusCode) }, (Date.now() - request.ctx.started) / 1000);
    if (request.ctx.span) {
      request.ctx.span.updateName(`${request.method} ${route ?? 'unmatched'}`);
      endSpan(request.ctx.span, { 'http.route': route ?? 'unmatched', 'http.response.status_code': reply.statusCode, 'tessera.request_id': request.ctx.requestId }, reply.statusCode >= 500);
    }
    done(null, payload);
  });
}
