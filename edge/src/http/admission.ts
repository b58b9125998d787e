import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import { AdaptiveLimit, type Priority } from '@tessera/grpc-kit';
import { problem, sendProblem } from '../errors/problem';

// Answered however busy the edge is: probes, and what a person waits on most (signing in, an order's status).
const EXEMPT = /^\/(healthz|readyz|docs)(\/|$)|\/openapi\.json$/;
const CRITICAL = (method: string, url: string) => (method === 'POST' && /^\/api\/v\d+\/auth\/login$/.test(url)) || (method === 'GET' && /^\/api\/v\d+\/orders\/[^/]+$/.test(url));

interface Admitted {
  id: number;
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
  // Keyed by a serial number: small-integer keys cost less per request than a Set of fresh objects (which
  // must be given an identity hash each). In admission order, so the sweep stops at the first one still due.
  const open = new Map<number, Admitted>();
  let serial = 0;
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const [id, a] of open) {
      if (a.until > now) break;
      open.delete(id);
      a.release('dropped');
    }
  }, 1_000);
  sweeper.unref();
  app.addHook('onClose', (_instance, done) => {
    clearInterval(sweeper);
    done();
  });
  // Classified once per route pattern and method (route patterns match EXEMPT and CRITICAL as their paths
  // do), not with a split and two regular expressions per request; unmatched paths (404s) each time. Both
  // keys are the same string objects on every request (Fastify's route config, the HTTP parser's method
  // table), so their hashes are cached.
  const classes = new Map<string, Map<string, Priority | 'exempt'>>();
  const classify = (method: string, path: string): Priority | 'exempt' => (EXEMPT.test(path) ? 'exempt' : CRITICAL(method, path) ? 'critical' : 'normal');
  const classOf = (method: string, route: string | undefined, url: string): Priority | 'exempt' => {
    if (route === undefined) return classify(method, url.split('?')[0]!);
    let byMethod = classes.get(route);
    if (!byMethod) classes.set(route, (byMethod = new Map()));
    let cls = byMethod.get(method);
    if (cls === undefined) byMethod.set(method, (cls = classify(method, route)));
    return cls;
  };
  app.addHook('onRequest', (request, reply, done) => {
    const priority = classOf(request.method, request.ctx.route, request.url);
    if (priority === 'exempt') return done();
    const release = limit.acquire(priority);
    if (!release) {
      shed.inc({ priority });
      sendProblem(reply, problem(503, 'the service is busy; try again shortly', [], { 'Retry-After': '1' }), request.ctx.requestId);
      return;
    }
    const admitted = { id: serial++, release, until: Date.now() + options.budgetMs + 5_000 };
    open.set(admitted.id, admitted);
    request.admitted = admitted;
    done();
  });
  app.addHook('onSend', (request: FastifyRequest, _reply, payload, done) => {
    const admitted = request.admitted;
    if (admitted) {
      open.delete(admitted.id);
      admitted.release('ok');
    }
    done(null, payload);
  });
}
