import type { Request, RequestHandler, Response } from 'express';
import { MetadataKeys, type CallOptions } from '@tessera/grpc-kit';
import { authorize } from '../auth/authorize';
import type { Clients } from '../clients';
import { problem } from '../errors/problem';
import type { ConsistencyMemory } from '../http/consistency-memory';
import { requestContext } from '../http/request-context';
import type { Route } from './route';
import { parse } from './validation';
import type { Version } from './version';
import { versionFormat } from './version-format';

export interface RouteHandlerDeps {
  clients: Clients;
  memory: ConsistencyMemory;
  /** Time budget of one request, shared by its gRPC calls. */
  budgetMs: number;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

function idempotencyKey(req: Request): string {
  const key = req.get('idempotency-key');
  if (!key) throw problem(428, 'this request needs an Idempotency-Key header');
  if (!IDEMPOTENCY_KEY.test(key)) throw problem(400, 'Idempotency-Key must be 1 to 255 visible ASCII characters');
  return key;
}

/**
 * Turns one route of the table into an Express handler: authorize, validate,
 * call the services within the request's budget (with request id, trace and
 * read-your-writes tokens), then answer with the route's result and the
 * newest write token.
 */
export function routeHandler(r: Route, version: Version, deps: RouteHandlerDeps): RequestHandler {
  const fmt = versionFormat(version);
  return async (req: Request, res: Response) => {
    const ctx = requestContext(res);
    const principal = ctx.principal;
    const denied = authorize(r, principal);
    if (denied) throw denied;
    const params = parse(r.params, req.params, '/path');
    const query = parse(r.query, req.query, '/query');
    if (r.body === undefined && req.body && Object.keys(req.body as object).length > 0) throw problem(400, 'this route takes no body');
    const body = parse(r.body, req.body ?? {}, '');
    const key = r.idempotent ? idempotencyKey(req) : undefined;

    // Read-your-writes: tokens the client sent, plus the ones remembered for this principal.
    const sent = (req.get('x-consistency-token') ?? '').split(',').map((t) => t.trim()).filter(Boolean).slice(0, 8);
    const remembered = principal && req.method === 'GET' ? await deps.memory.recall(principal.key) : [];
    const tokens = [...sent, ...remembered];
    let written: string | undefined;
    const budgetEnd = ctx.started + deps.budgetMs;
    const call = (): CallOptions => ({
      deadlineMs: Math.max(1, budgetEnd - Date.now()),
      metadata: {
        [MetadataKeys.requestId]: ctx.requestId,
        [MetadataKeys.traceparent]: ctx.traceparent,
        ...(tokens.length ? { [MetadataKeys.consistencyToken]: tokens.join(',') } : {}),
      },
      onTrailers: (trailers) => {
        const token = trailers.get(MetadataKeys.consistencyToken)[0];
        if (token) written = String(token);
      },
    });

    const result = await r.handle({
      version,
      params,
      query,
      body,
      principal,
      clients: deps.clients,
      fmt,
      call,
      idempotencyKey: key,
      userId() {
        if (!principal || principal.kind === 'client') throw problem(403, 'this route needs a user');
        return principal.userId;
      },
    });

    if (written) {
      res.setHeader('X-Consistency-Token', written);
      if (principal) await deps.memory.remember(principal.key, written);
    }
    for (const [k, v] of Object.entries(result.headers ?? {})) res.setHeader(k, v);
    if (req.method !== 'GET') res.setHeader('Cache-Control', res.getHeader('Cache-Control') ?? 'no-store');
    if (result.body === undefined) res.status(result.status).end();
    else res.status(result.status).json(result.body);
  };
}
