import { randomBytes, randomUUID } from 'node:crypto';
import cors from 'cors';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Cluster, Redis } from 'ioredis';
import type { Store } from 'express-rate-limit';
import { Counter, Histogram, type Registry } from 'prom-client';
import { MetadataKeys, type CallOptions } from '@tessera/grpc-kit';
import type { Logger } from '@tessera/logging';
import type { z } from 'zod';
import type { Authenticator } from './auth/authenticator';
import { hasScopes, type Principal } from './auth/principal';
import type { Clients } from './clients';
import { trustProxySetting, type EdgeConfig } from './config';
import { problem, sendProblem, toProblem, type Violation } from './errors/problem';
import { ConsistencyMemory } from './http/consistency-memory';
import { openApiDocument } from './openapi/document';
import { authLimiter, quotaLimiter } from './rate-limit/limits';
import { RedisRateLimitStore } from './rate-limit/redis-store';
import { presenter } from './routes/presenter';
import { routes as routesOf } from './routes/resources';
import type { Route, Version } from './routes/route';

export interface EdgeDeps {
  config: EdgeConfig;
  logger: Logger;
  registry: Registry;
  clients: Clients;
  authenticator: Authenticator;
  /** Shared store for rate limits and remembered write tokens; undefined means per process. */
  redis: Redis | Cluster | undefined;
  /** Readiness of the dependencies, for /readyz. */
  ready: () => Promise<boolean>;
}

interface Locals {
  requestId: string;
  traceparent: string;
  started: number;
  principal?: Principal;
  tokens: string[];
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Issues and keys of zod errors → JSON pointers into the request. */
function violations(error: z.ZodError, root: '' | '/query' | '/path'): Violation[] {
  return error.issues.map((issue) => ({
    pointer: `${root}/${issue.path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`.replace(/\/$/, '') || '/',
    detail: issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message,
  }));
}

export const EXTRA_ROUTES = [
  { method: 'get', path: '/healthz', summary: 'Process is alive', tag: 'ops' },
  { method: 'get', path: '/readyz', summary: 'Dependencies are reachable', tag: 'ops' },
  { method: 'get', path: '/.well-known/jwks.json', summary: 'Public keys that verify access tokens', tag: 'auth' },
  { method: 'post', path: '/oauth/token', summary: 'OAuth 2.0 client credentials grant (form-encoded)', tag: 'auth' },
  { method: 'get', path: '/docs', summary: 'Human-readable API index', tag: 'ops' },
];

type Layer = { route?: { path: string; methods: Record<string, boolean> } };

/** What Express actually has mounted (read back from its router stacks), as "GET /api/v2/orders/{id}". */
function mountedRoutes(stack: Layer[], prefix: string): string[] {
  return stack
    .filter((l) => l.route)
    .flatMap((l) => Object.keys(l.route!.methods).filter((m) => m !== '_all').map((m) => `${m.toUpperCase()} ${prefix}${l.route!.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`));
}

export function createApp(deps: EdgeDeps): { app: express.Express; routes: Record<Version, Route[]>; documents: Record<Version, Record<string, unknown>>; mounted(): string[] } {
  const { config, logger, clients, authenticator } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxySetting(config.TRUST_PROXY));
  app.set('etag', 'weak');
  const memory = new ConsistencyMemory(config.CONSISTENCY_MEMORY_MS, deps.redis);
  const routes: Record<Version, Route[]> = { v1: routesOf('v1'), v2: routesOf('v2') };
  const documents: Record<Version, Record<string, unknown>> = {
    v1: openApiDocument('v1', routes.v1, EXTRA_ROUTES.concat({ method: 'get', path: '/api/v1/openapi.json', summary: 'This document', tag: 'ops' })),
    v2: openApiDocument('v2', routes.v2, EXTRA_ROUTES.concat({ method: 'get', path: '/api/v2/openapi.json', summary: 'This document', tag: 'ops' })),
  };

  const duration = new Histogram({ name: 'http_server_request_duration_seconds', help: 'REST request latency by route and status.', labelNames: ['method', 'route', 'status'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [deps.registry] });
  const rejected = new Counter({ name: 'http_rate_limited_total', help: 'Requests refused by a rate limit.', labelNames: ['limit'], registers: [deps.registry] });

  // Request id, trace and timing first, so every later answer carries them.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    const trace = TRACEPARENT.exec(req.get('traceparent') ?? '');
    const locals = res.locals as Locals;
    locals.requestId = requestId;
    locals.traceparent = `00-${trace?.[1] ?? randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-${trace?.[3] ?? '01'}`;
    locals.started = Date.now();
    locals.tokens = [];
    res.setHeader('X-Request-Id', requestId);
    const end = duration.startTimer({ method: req.method });
    res.on('finish', () => end({ route: (req.route?.path as string | undefined) ? `${req.baseUrl}${req.route.path}` : 'unmatched', status: String(res.statusCode) }));
    next();
  });
  app.use(helmet());
  const origins = config.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
  if (origins.length) app.use(cors({ origin: origins, exposedHeaders: ['X-Request-Id', 'X-Consistency-Token', 'RateLimit', 'RateLimit-Policy', 'Retry-After', 'ETag', 'Location', 'Deprecation', 'Sunset', 'Link'] }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ready = await deps.ready().catch(() => false);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready' });
  });
  app.get('/.well-known/jwks.json', async (_req, res, next) => {
    try {
      const { keys } = await clients.auth.getJwks({}, { deadlineMs: 2_000 });
      res.setHeader('Cache-Control', 'public, max-age=300');
      res.json({ keys });
    } catch (error) {
      next(error);
    }
  });
  app.get('/docs', (_req, res) => {
    const rows = (v: Version) => routes[v].map((r) => `<li><code>${r.method.toUpperCase()} /api/${v}${r.path}</code> — ${r.summary}</li>`).join('');
    res.type('html').send(`<!doctype html><html><head><meta charset="utf-8"><title>Tessera API</title></head><body><h1>Tessera API</h1>
      <p>OpenAPI 3.1: <a href="/api/v2/openapi.json">v2</a> (current), <a href="/api/v1/openapi.json">v1</a> (deprecated). Errors are RFC 9457 problem+json.</p>
      <h2>v2</h2><ul>${rows('v2')}</ul><h2>v1 (deprecated)</h2><ul>${rows('v1')}</ul></body></html>`);
  });

  // Credentials → principal (or a 401), before the limiters, which count per principal.
  const authenticate = async (req: Request, res: Response, next: NextFunction) => {
    try {
      const principal = await authenticator.authenticate(req.get('authorization'), req.get('x-api-key'));
      if (principal) (res.locals as Locals).principal = principal;
      next();
    } catch (error) {
      next(error);
    }
  };
  const storeErrors = new Counter({ name: 'http_rate_limit_store_errors_total', help: 'Rate-limit checks that passed because the shared store failed (fail-open).', registers: [deps.registry] });
  let lastStoreWarning = 0;
  const onStoreError = (error: unknown) => {
    storeErrors.inc();
    if (Date.now() - lastStoreWarning > 10_000) {
      lastStoreWarning = Date.now();
      logger.warn({ err: error }, 'rate-limit store failed; letting requests through (fail-open)');
    }
  };
  const store = (name: string): Store | undefined => (deps.redis ? new RedisRateLimitStore(deps.redis, `${config.RATE_LIMIT_PREFIX}${name}:`, onStoreError) : undefined);
  const limits = { windowMs: config.RATE_LIMIT_WINDOW_MS, anonymous: config.RATE_LIMIT_ANONYMOUS, user: config.RATE_LIMIT_USER, apiKey: config.RATE_LIMIT_API_KEY, auth: config.RATE_LIMIT_AUTH, store };
  const countRejections = (limit: string) => (_req: Request, res: Response, next: NextFunction) => {
    res.on('finish', () => res.statusCode === 429 && rejected.inc({ limit }));
    next();
  };
  const quota = quotaLimiter(limits);
  const strict = authLimiter(limits);

  app.post('/oauth/token', express.urlencoded({ extended: false, limit: '16kb' }), countRejections('auth'), strict, async (req, res, next) => {
    try {
      let { client_id: clientId, client_secret: secret } = req.body as Record<string, string | undefined>;
      const basic = /^Basic (.+)$/i.exec(req.get('authorization') ?? '');
      if (basic) [clientId, secret] = Buffer.from(basic[1]!, 'base64').toString().split(':').map(decodeURIComponent);
      const { grant_type: grant, scope } = req.body as Record<string, string | undefined>;
      if (grant !== 'client_credentials') throw Object.assign(problem(400, 'grant_type must be client_credentials'), { oauth: 'unsupported_grant_type' });
      if (!clientId || !secret) throw Object.assign(problem(401, 'client_id and client_secret are required'), { oauth: 'invalid_client' });
      const fmt = presenter('v2');
      const res2 = await clients.auth.issueClientToken({ clientId: fmt.parseId('oauthClient', clientId, '/client_id'), clientSecret: secret, scope: scope ?? '' }, { deadlineMs: 5_000 });
      res.setHeader('Cache-Control', 'no-store');
      res.json({ access_token: res2.tokens!.accessToken, token_type: 'Bearer', expires_in: res2.tokens!.expiresIn, scope: res2.tokens!.scope });
    } catch (error) {
      next(error);
    }
  });

  const routers: [string, express.Router][] = [];
  for (const version of ['v1', 'v2'] as const) {
    const router = express.Router();
    routers.push([`/api/${version}`, router]);
    const fmt = presenter(version);
    router.use(express.json({ limit: config.BODY_LIMIT, strict: true }));
    if (version === 'v1') {
      router.use((_req, res, next) => {
        // RFC 9745 Deprecation, RFC 8594 Sunset, and where to go instead.
        res.setHeader('Deprecation', '@1780272000');
        res.setHeader('Sunset', config.V1_SUNSET);
        res.setHeader('Link', '</api/v2/openapi.json>; rel="successor-version"');
        next();
      });
    }
    router.get('/openapi.json', (_req, res) => {
      res.json(documents[version]);
    });
    router.use(authenticate, countRejections('quota'), quota);
    for (const r of routes[version]) {
      const handlers = [...(r.authLimited ? [countRejections('auth'), strict] : []), handler(r, version, fmt)];
      router[r.method](r.path, ...handlers);
    }
    app.use(`/api/${version}`, router);
  }

  function handler(r: Route, version: Version, fmt: ReturnType<typeof presenter>) {
    return async (req: Request, res: Response, next: NextFunction) => {
      const locals = res.locals as Locals;
      try {
        const principal = locals.principal;
        if (r.access !== 'public') {
          if (!principal) throw problem(401, 'authentication required', [], { 'WWW-Authenticate': 'Bearer' });
          if (principal.kind === 'client' && !r.allowClients) throw problem(403, 'machine clients cannot call this route');
          if (r.sessionOnly && principal.kind !== 'user') throw problem(403, 'this route needs a signed-in user, not an API key');
          if (r.access === 'admin' && principal.role !== 'admin' && !(principal.kind === 'client' && r.allowClients)) throw problem(403, 'admin only');
          if (!hasScopes(principal, r.scopes)) throw problem(403, `missing scope: ${r.scopes.join(' ')}`);
        }
        const params = parse(r.params, req.params, '/path');
        const query = parse(r.query, req.query, '/query');
        if (r.body === undefined && req.body && Object.keys(req.body as object).length > 0) throw problem(400, 'this route takes no body');
        const body = parse(r.body, req.body ?? {}, '');
        let idempotencyKey: string | undefined;
        if (r.idempotent) {
          idempotencyKey = req.get('idempotency-key');
          if (!idempotencyKey) throw problem(428, 'this request needs an Idempotency-Key header');
          if (!/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) throw problem(400, 'Idempotency-Key must be 1 to 255 visible ASCII characters');
        }
        // Read-your-writes: tokens the client sent, plus the ones we remember for it.
        const sent = (req.get('x-consistency-token') ?? '').split(',').map((t) => t.trim()).filter(Boolean).slice(0, 8);
        const remembered = principal && req.method === 'GET' ? await memory.recall(principal.key) : [];
        const tokens = [...sent, ...remembered];
        const budgetEnd = locals.started + config.REQUEST_BUDGET_MS;
        const call = (): CallOptions => ({
          deadlineMs: Math.max(1, budgetEnd - Date.now()),
          metadata: {
            [MetadataKeys.requestId]: locals.requestId,
            [MetadataKeys.traceparent]: locals.traceparent,
            ...(tokens.length ? { [MetadataKeys.consistencyToken]: tokens.join(',') } : {}),
          },
          onTrailers: (trailers) => {
            const token = trailers.get(MetadataKeys.consistencyToken)[0];
            if (token) locals.tokens.push(String(token));
          },
        });
        const result = await r.handle({
          version,
          params,
          query,
          body,
          principal,
          clients,
          fmt,
          call,
          idempotencyKey,
          userId() {
            if (!principal || principal.kind === 'client') throw problem(403, 'this route needs a user');
            return principal.userId;
          },
        });
        const token = locals.tokens[locals.tokens.length - 1];
        if (token) {
          res.setHeader('X-Consistency-Token', token);
          if (principal) await memory.remember(principal.key, token);
        }
        for (const [k, v] of Object.entries(result.headers ?? {})) res.setHeader(k, v);
        if (req.method !== 'GET') res.setHeader('Cache-Control', res.getHeader('Cache-Control') ?? 'no-store');
        if (result.body === undefined) res.status(result.status).end();
        else res.status(result.status).json(result.body);
      } catch (error) {
        next(error);
      }
    };
  }

  app.use((req, res) => sendProblem(res, problem(404, `no route for ${req.method} ${req.path}`), (res.locals as Locals).requestId));
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const locals = res.locals as Locals;
    const p = toProblem(error, logger.child({ requestId: locals.requestId, traceparent: locals.traceparent, method: req.method, path: req.path }));
    const oauth = (error as { oauth?: string }).oauth;
    if (oauth) {
      res.setHeader('Cache-Control', 'no-store');
      res.status(p.status).type('application/problem+json').send(JSON.stringify({ type: `https://tessera.dev/problems/${p.status}`, title: p.title, status: p.status, detail: p.detail, error: oauth, error_description: p.detail, request_id: (res.locals as Locals).requestId }));
      return;
    }
    sendProblem(res, p, (res.locals as Locals).requestId ?? randomUUID());
  });
  const mounted = () => [
    ...mountedRoutes((app as unknown as { router: { stack: Layer[] } }).router.stack, ''),
    ...routers.flatMap(([prefix, router]) => mountedRoutes((router as unknown as { stack: Layer[] }).stack, prefix)),
  ];
  return { app, routes, documents, mounted };
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, root: '' | '/query' | '/path'): T {
  if (!schema) return {} as T;
  const result = schema.safeParse(value);
  if (!result.success) throw problem(400, 'request has invalid fields', violations(result.error, root));
  return result.data;
}
