import cors from 'cors';
import express, { Router } from 'express';
import helmet from 'helmet';
import type { Cluster, Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Logger } from '@tessera/logging';
import { authenticate } from './auth/authenticate';
import type { Authenticator } from './auth/authenticator';
import type { Clients } from './clients';
import { trustProxySetting, type EdgeConfig } from './config';
import { errorHandler, notFound } from './errors/error-handler';
import { ConsistencyMemory } from './http/consistency-memory';
import { OPS_ROUTES, opsRoutes } from './http/ops-routes';
import { requestContextMiddleware } from './http/request-context';
import { openApiDocument } from './openapi/document';
import { createRateLimits } from './rate-limit/rate-limits';
import { routesFor } from './routes';
import { mountedRoutes } from './routes/mounted-routes';
import { oauthTokenRoute } from './routes/oauth-token';
import type { Route } from './routes/route';
import { routeHandler } from './routes/route-handler';
import { VERSIONS, type Version } from './routes/version';

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

const EXPOSED_HEADERS = ['X-Request-Id', 'X-Consistency-Token', 'RateLimit', 'RateLimit-Policy', 'Retry-After', 'ETag', 'Location', 'Deprecation', 'Sunset', 'Link'];

/** Assembles the edge: request context, security headers, ops routes, the token endpoint, both API versions, and the error boundary. */
export function createApp(deps: EdgeDeps): { app: express.Express; routes: Record<Version, Route[]>; documents: Record<Version, Record<string, unknown>>; mounted(): string[] } {
  const { config, clients } = deps;
  const routes = { v1: routesFor('v1'), v2: routesFor('v2') };
  const documents = {
    v1: openApiDocument('v1', routes.v1, [...OPS_ROUTES, { method: 'get', path: '/api/v1/openapi.json', summary: 'This document', tag: 'ops' }]),
    v2: openApiDocument('v2', routes.v2, [...OPS_ROUTES, { method: 'get', path: '/api/v2/openapi.json', summary: 'This document', tag: 'ops' }]),
  };
  const limits = createRateLimits(deps);
  const handlerDeps = { clients, memory: new ConsistencyMemory(config.CONSISTENCY_MEMORY_MS, deps.redis), budgetMs: config.REQUEST_BUDGET_MS };

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxySetting(config.TRUST_PROXY));
  app.set('etag', 'weak');
  app.use(requestContextMiddleware(deps.registry));
  app.use(helmet());
  const origins = config.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
  if (origins.length) app.use(cors({ origin: origins, exposedHeaders: EXPOSED_HEADERS }));

  const mounts: [string, Router][] = [
    ['', opsRoutes({ clients, ready: deps.ready, routes })],
    ['', oauthTokenRoute({ clients, authLimit: limits.auth })],
  ];
  for (const version of VERSIONS) {
    const router = Router();
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
    router.use(authenticate(deps.authenticator), ...limits.quota);
    for (const r of routes[version]) router[r.method](r.path, ...(r.authLimited ? limits.auth : []), routeHandler(r, version, handlerDeps));
    mounts.push([`/api/${version}`, router]);
  }
  for (const [prefix, router] of mounts) app.use(prefix || '/', router);
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return { app, routes, documents, mounted: () => mountedRoutes(mounts) };
}
