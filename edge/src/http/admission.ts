import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import { AdaptiveLimit, type Priority } from '@tessera/grpc-kit';
import { problem, sendProblem } from '../errors/problem';

// Answered however busy the edge is: probes, and what a person waits on most (signing in, an order's status).
const EXEMPT = /^\/(healthz|readyz|docs)(\/|$)|\/openapi\.json$/;
const CRITICAL = (method: string, url: string) => (method === 'POST' && /^\/api\/v\d+\/auth\/login$/.test(url)) || (method === 'GET' && /^\/api\/v\d+\/orders\/[^/]+$/.test(url));

declare module 'fastify' {
  interface FastifyRequest {
    admitted?: (outcome?: 'ok' | 'dropped') => void;
  }
}

/**
 * Adaptive admission at the edge (see AdaptiveLimit): requests over the
 * latency-following concurrency limit get 503 with Retry-After at once, so
 * the admitted ones keep their latency instead of every request queueing
 * past its budget. Sign-in and order status get headroom; probes are exempt.
 */
export function installAdmission(app: FastifyInstance, options: { min: number; max: number; registry: Registry }): void {
  const limit = new AdaptiveLimit({ min: options.min, max: options.max });
  const shed = new Counter({ name: 'http_requests_shed_total', help: 'Requests refused by adaptive admission (load shedding), by priority.', labelNames: ['priority'], registers: [options.registry] });
  new Gauge({ name: 'http_admission_limit', help: 'The edge\'s adaptive concurrency limit.', registers: [options.registry], collect() { this.set(limit.limit); } });
  app.decorateRequest('admitted', undefined);
  app.addHook('onRequest', (request, reply, done) => {
    const path = request.url.split('?')[0]!;
    if (EXEMPT.test(path)) return done();
    const priority: Priority = CRITICAL(request.method, path) ? 'critical' : 'normal';
    const release = limit.acquire(priority);
    if (!release) {
      shed.inc({ priority });
      sendProblem(reply, problem(503, 'the service is busy; try again shortly', [], { 'Retry-After': '1' }), request.ctx.requestId);
      return;
    }
    request.admitted = release;
    done();
  });
  const finish = (outcome: 'ok' | 'dropped') => (request: FastifyRequest, _reply: unknown, done: () => void) => {
    request.admitted?.(outcome);
    done();
  };
  app.addHook('onResponse', finish('ok'));
  app.addHook('onRequestAbort', (request, done) => finish('dropped')(request, undefined, done));
}
