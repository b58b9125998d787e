import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { MetadataKeys, type CallOptions } from '@tessera/grpc-kit';
import { authorize } from '../auth/authorize';
import type { Loaders } from '../batching/loaders';
import type { Clients } from '../clients';
import { problem } from '../errors/problem';
import type { ConsistencyMemory } from '../http/consistency-memory';
import type { CachedAnswer, PublicCache } from '../http/public-cache';
import { sendJson, weakEtag } from '../http/send-json';
import type { Route, RouteResult } from './route';
import { parse } from './validation';
import type { Version } from './version';
import { versionFormat } from './version-format';

export interface RouteHandlerDeps {
  clients: Clients;
  loaders: Loaders;
  memory: ConsistencyMemory;
  /** Undefined when the public cache is off. */
  cache: PublicCache | undefined;
  /** Time budget of one request, shared by its gRPC calls. */
  budgetMs: number;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** Service field names every paged route shares, and where a REST client wrote them. */
const PAGING_POINTERS = { '/page_token': '/query/cursor', '/page_size': '/query/limit' };

/** Where the services' field names sit in this route's request (see Route.pointers): mounted as its config, read by the error handler. */
export const fieldPointers = (r: Route): Record<string, string> => ({ ...PAGING_POINTERS, ...r.pointers });

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

function idempotencyKey(request: FastifyRequest): string {
  const key = header(request, 'idempotency-key');
  if (!key) throw problem(428, 'this request needs an Idempotency-Key header');
  if (!IDEMPOTENCY_KEY.test(key)) throw problem(400, 'Idempotency-Key must be 1 to 255 visible ASCII characters');
  return key;
}

/**
 * Turns one route of the table into a handler: authorize, validate, call the
 * services within the request's budget (with request id, trace and
 * read-your-writes tokens), then answer with the route's result and the
 * newest write token.
 */
export function routeHandler(r: Route, version: Version, deps: RouteHandlerDeps): RouteHandlerMethod {
  const fmt = versionFormat(version);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const ctx = request.ctx;
    const principal = ctx.principal;
    const denied = authorize(r, principal);
    if (denied) throw denied;
    const params = parse(r.params, request.params, '/path');
    const query = parse(r.query, request.query, '/query');
    if (r.body === undefined && request.body && Object.keys(request.body as object).length > 0) throw problem(400, 'this route takes no body');
    const body = parse(r.body, request.body ?? {}, '');
    const key = r.idempotent ? idempotencyKey(request) : undefined;

    // Read-your-writes: the tokens the client sent, plus the ones remembered for this principal (see below).
    const sentHeader = header(request, 'x-consistency-token');
    const sent = sentHeader ? sentHeader.split(',').map((t) => t.trim()).filter(Boolean).slice(0, 8) : [];
    let written: string | undefined;
    const budgetEnd = ctx.started + deps.budgetMs;

    /** One attempt at the route with these tokens; nothing is sent yet. */
    const attempt = async (tokens: string[]): Promise<{ cached: CachedAnswer } | { result: RouteResult }> => {
      const call = (): CallOptions => ({
        deadlineMs: Math.max(1, budgetEnd - Date.now()),
        bearer: principal?.bearer,
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
      const handle = () =>
        r.handle({
          version,
          params,
          query,
          body,
          principal,
          clients: deps.clients,
          load: deps.loaders,
          fmt,
          call,
          idempotencyKey: key,
          userId() {
            if (!principal || principal.kind === 'client') throw problem(403, 'this route needs a user');
            return principal.userId;
          },
        });
      // A caller that carries write tokens reads through, so it sees its own writes.
      if (r.publicCache && deps.cache && tokens.length === 0) {
        const cached = await deps.cache.get(`${version}:${request.url}`, r.publicCache.tag(params, fmt), async () => {
          const payload = JSON.stringify((await handle()).body);
          return { payload, etag: weakEtag(payload) };
        });
        return { cached: cached! };
      }
      return { result: await handle() };
    };

    let outcome: { cached: CachedAnswer } | { result: RouteResult };
    if (principal && request.method === 'GET') {
      // The remembered tokens live in Redis (shared by every edge). Reads do not wait for them: the
      // read starts with the tokens the client sent while they are fetched, and only when some turn
      // up is it done again with them. Same guarantee, and the common case (no recent write) loses
      // the Redis round trip from its latency.
      const recalled = deps.memory.recall(principal.key);
      const first = await attempt(sent).then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      const remembered = await recalled;
      if (remembered.length > 0) outcome = await attempt([...sent, ...remembered]);
      else if (first.ok) outcome = first.value;
      else throw first.error;
    } else {
      outcome = await attempt(sent);
    }

    if ('cached' in outcome) {
      sendJson(request, reply, 200, outcome.cached.payload, outcome.cached.etag);
      return;
    }
    const result = outcome.result;
    if (r.invalidatesPublic) deps.cache?.invalidate([r.invalidatesPublic.tag(params, fmt)]);
    if (written) {
      reply.header('x-consistency-token', written);
      if (principal) await deps.memory.remember(principal.key, written);
    }
    reply.headers(result.headers ?? {});
    if (request.method !== 'GET' && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    if (result.body === undefined) reply.code(result.status).send();
    else sendJson(request, reply, result.status, JSON.stringify(result.body));
  };
}
