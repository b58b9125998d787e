import cors from '@fastify/cors';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Logger } from '@tessera/logging';
import { authenticate } from './auth/authenticate';
import { createLoaders } from './batching/loaders';
import type { Authenticator } from './auth/authenticator';
import type { Clients } from './clients';
import { bodyLimitBytes, trustProxyFunction, type EdgeConfig } from './config';
import { clientErrorHandler, installErrorHandling } from './errors/error-handler';
import { installAdmission } from './http/admission';
import { ConsistencyMemory } from './http/consistency-memory';
import { opsRoutes, type Readiness } from './http/ops-routes';
import type { PublicCache } from './http/public-cache';
import { installRequestContext } from './http/request-context';
import { installSecurityHeaders } from './http/security-headers';
import { apiDocuments } from './openapi/api-documents';
import type { RateLimits } from './rate-limit/rate-limits';
import { recordMountedRoutes } from './routes/mounted-routes';
import { oauthTokenRoute } from './routes/oauth-token';
import type { Route } from './routes/route';
import { fieldPointers, routeHandler } from './routes/route-handler';
import { VERSIONS, type Version } from './routes/version';

export interface EdgeDeps {
  config: EdgeConfig;
  logger: Logger;
  registry: Registry;
  clients: Clients;
  authenticator: Authenticator;
  /** Shared store for remembered write tokens; undefined means per process. */
  redis: Redis | Cluster | undefined;
  /** The rate limits, shared with the gRPC gateway (one budget per principal across REST and gRPC). */
  limits: RateLimits;
  /** Readiness (the edge's own) and the state of each dependency, for /readyz. */
  ready: () => Promise<Readiness>;
  /** Public answers kept in this process (undefined: off). */
  publicCache?: PublicCache | undefined;
  /** True once the edge is shutting down: answers then ask clients to close their connection. */
  draining?: () => boolean;
}

const EXPOSED_HEADERS = ['X-Request-Id', 'X-Consistency-Token', 'RateLimit', 'RateLimit-Policy', 'Retry-After', 'ETag', 'Location', 'Deprecation', 'Sunset', 'Link'];

/**
 * Assembles the edge on Fastify: request context, security headers, ops
 * routes, the token endpoint, both API versions from one route table, and the
 * error boundary. Nothing listens yet; main.ts does that.
 */
export async function createApp(deps: EdgeDeps): Promise<{ app: FastifyInstance; routes: Record<Version, Route[]>; documents: Record<Version, Record<string, unknown>>; mounted(): string[] }> {
  const { config, clients } = deps;
  const { routes, documents } = apiDocuments({ enumerationSafe: config.ENUMERATION_SAFE });
  const { limits } = deps;
  const handlerDeps = { clients, loaders: createLoaders(clients, deps.registry), memory: new ConsistencyMemory(config.CONSISTENCY_MEMORY_MS, deps.redis), cache: deps.publicCache, budgetMs: config.REQUEST_BUDGET_MS };

  const app = Fastify({
    trustProxy: trustProxyFunction(config.TRUST_PROXY),
    bodyLimit: bodyLimitBytes(config.BODY_LIMIT),
    logger: false,
    // Longer than the ingress's idle timeout, so the proxy closes idle connections first.
    keepAliveTimeout: 65_000,
    // Request ids are the edge's own (validated, or new), not Fastify's.
    genReqId: () => '',
    // Longer path parameters than any real id are not worth routing.
    routerOptions: { maxParamLength: 200 },
    // Requests already on a connection when the server closes are served, not refused: see the drain in main.ts.
    return503OnClosing: false,
    clientErrorHandler,
  });
  // The API takes JSON only: a text/plain body is 415, not a string that fails validation as 400.
  app.removeContentTypeParser('text/plain');
  const mounted = recordMountedRoutes(app);
  installRequestContext(app, deps.registry);
  if (config.ADMISSION_LIMIT_MAX > 0) installAdmission(app, { min: Math.min(config.ADMISSION_LIMIT_MIN, config.ADMISSION_LIMIT_MAX), max: config.ADMISSION_LIMIT_MAX, registry: deps.registry, budgetMs: config.REQUEST_BUDGET_MS });
  const draining = deps.draining;
  if (draining) {
    app.addHook('onRequest', (_request, reply, done) => {
      // While draining, every answer ends its connection, so no client is left holding a keep-alive socket to reuse.
      if (draining()) reply.header('connection', 'close');
      done();
    });
  }
  installSecurityHeaders(app);
  installErrorHandling(app, deps.logger);
  const origins = config.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
  if (origins.length) await app.register(cors, { origin: origins, exposedHeaders: EXPOSED_HEADERS });

  await app.register(opsRoutes({ clients, ready: deps.ready, routes }));
  await app.register(oauthTokenRoute({ clients, authLimit: limits.auth }));
  for (const version of VERSIONS) {
    await app.register(
      async (api) => {
        if (version === 'v1') {
          api.addHook('onRequest', (_request, reply, done) => {
            // RFC 9745 Deprecation, RFC 8594 Sunset, and where to go instead.
            reply.header('deprecation', '@1780272000').header('sunset', config.V1_SUNSET).header('link', '</api/v2/openapi.json>; rel="successor-version"');
            done();
          });
        }
        api.get('/openapi.json', async () => documents[version]);
        const guard = [authenticate(deps.authenticator, limits.failures), limits.quota];
        for (const r of routes[version]) {
          api.route({ method: r.method.toUpperCase() as 'GET', url: r.path, config: { pointers: fieldPointers(r) }, preHandler: r.authLimited ? [...guard, limits.auth] : guard, handler: routeHandler(r, version, handlerDeps) });
        }
      },
      { prefix: `/api/${version}` },
    );
  }
  await app.ready();
  return { app, routes, documents, mounted };
}
