import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import { AdaptiveLimit, type Priority } from '@tessera/grpc-kit';
import { problem, sendProblem } from '../errors/problem';

// Answered however busy the edge is: probes, and what a person waits on most (signing in, an order's status).
const EXEMPT = /^\/(healthz|readyz|docs)(\/|$)|\/openapi\.json$/;
const CRITICAL = (method: string, url: string) => (method === 'POST' && /^\/api\/v\d+\/auth\/login$/.test(url)) || (method === 'GET' && /^\/api\/v\d+\/orders\/[^/]+$/.test(url));

interface Admitted {
  release: (outcome?: 'ok' | 'dropped') => void;
  until: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    admitted: Admitted | null;
  }
}

/**
 * Adaptive admission at the edge (see AdaptiveLimit): requests over the
 * latency-following concurrency limit get 503 with Retry-After at once, so
 * the admitted ones keep their latency instead of every request queueing
 * past its budget. Sign-in and order status get headroom; probes are exempt.
 */
export function installAdmission(app: FastifyInstance, options: { min: number; max: number; registry: Registry; budgetMs: number }): void {
  const limit = new AdaptiveLimit({ min: options.min, max: options.max });
  const shed = new Counter({ name: 'http_requests_shed_total', help: 'Requests refused by adaptive admission (load shedding), by priority.', labelNames: ['priority'], registers: [options.registry] });
  new Gauge({ name: 'http_admission_limit', help: 'The edge\'s adaptive concurrency limit.', registers: [options.registry], collect() { this.set(limit.limit); } });
  app.decorateRequest('admitted', null);
  // The slot is given back when the answer is ready (onSend), not when it is written (onResponse): a client
  // that hangs up mid-request never gets its answer written, and onResponse never fires for it. Found on the
  // bench: wrk closing 64 connections at the end of a run held the whole limit for 15 s. A request that never
  // reaches an answer at all (its body never arrives) is swept once past any budget. (Fastify's onRequestAbort
  // would catch those directly, but its per-request listener cost a third of the edge's throughput.)
  const open = new Set<Admitted>();
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const a of open) {
      if (a.until > now) continue;
      open.delete(a);
      a.release('dropped');
    }
  }, 1_000);
  sweeper.unref();
  app.addHook('onClose', (_instance, done) => {
    clearInterval(sweeper);
    done();
  });
  // Classified once per route pattern (route patterns match EXEMPT and CRITICAL as their paths do), not
  // with a split and two regular expressions per request; unmatched paths (404s) are classified each time.
  const classes = new Map<string, Priority | 'exempt'>();
  const classify = (method: string, path: string): Priority | 'exempt' => (EXEMPT.test(path) ? 'exempt' : CRITICAL(method, path) ? 'critical' : 'normal');
  app.addHook('onRequest', (request, reply, done) => {
    const route = request.ctx.route;
    let cls = route === undefined ? classify(request.method, request.url.split('?')[0]!) : classes.get(request.method + route);
    if (cls === undefined) classes.set(request.method + route, (cls = classify(request.method, route!)));
    if (cls === 'exempt') return done();
    const priority = cls;
    const release = limit.acquire(priority);
    if (!release) {
      shed.inc({ priority });
      sendProblem(reply, problem(503, 'the service is busy; try again shortly', [], { 'Retry-After': '1' }), request.ctx.requestId);
      return;
    }
    const admitted = { release, until: Date.now() + options.budgetMs + 5_000 };
    open.add(admitted);
    request.admitted = admitted;
    done();
  });
  app.addHook('onSend', (request: FastifyRequest, _reply, payload, done) => {
    const admitted = request.admitted;
    if (admitted) {
      open.delete(admitted);
      admitted.release('ok');
    }
    done(null, payload);
  });
}
