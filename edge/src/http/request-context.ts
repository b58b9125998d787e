import type { Request, RequestHandler, Response } from 'express';
import { Histogram, type Registry } from 'prom-client';
import { continueTrace } from '@tessera/grpc-kit';
import type { Principal } from '../auth/principal';

/** What the edge knows about the request being served; lives in `res.locals`. */
export interface RequestContext {
  requestId: string;
  traceparent: string;
  /** Epoch ms at arrival: the request's time budget counts from here. */
  started: number;
  principal?: Principal;
}

export function requestContext(res: Response): RequestContext {
  return res.locals as RequestContext;
}

/**
 * First middleware: request id, trace and timing, so every later answer
 * (problems included) carries them and every request is measured by route.
 */
export function requestContextMiddleware(registry: Registry): RequestHandler {
  const duration = new Histogram({ name: 'http_server_request_duration_seconds', help: 'REST request latency by route and status.', labelNames: ['method', 'route', 'status'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] });
  return (req: Request, res: Response, next) => {
    const trace = continueTrace(req.get('x-request-id'), req.get('traceparent'));
    const ctx = requestContext(res);
    ctx.requestId = trace.requestId;
    ctx.traceparent = trace.traceparent;
    ctx.started = Date.now();
    res.setHeader('X-Request-Id', trace.requestId);
    const end = duration.startTimer({ method: req.method });
    res.on('finish', () => end({ route: req.route?.path ? `${req.baseUrl}${req.route.path as string}` : 'unmatched', status: String(res.statusCode) }));
    next();
  };
}
