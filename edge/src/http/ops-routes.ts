import type { FastifyInstance } from 'fastify';
import type { Clients } from '../clients';
import { docsPage } from '../openapi/docs-page';
import type { Route } from '../routes/route';
import type { Version } from '../routes/version';

/** Routes outside the versioned API that the edge itself documents. */
export const OPS_ROUTES = [
  { method: 'get', path: '/healthz', summary: 'Process is alive', tag: 'ops' },
  { method: 'get', path: '/readyz', summary: 'The edge takes traffic (503 while draining); the state of each service beside it', tag: 'ops' },
  { method: 'get', path: '/.well-known/jwks.json', summary: 'Public keys that verify access tokens', tag: 'auth' },
  { method: 'post', path: '/oauth/token', summary: 'OAuth 2.0 client credentials grant (form-encoded)', tag: 'auth' },
  { method: 'get', path: '/docs', summary: 'Human-readable API index', tag: 'ops' },
];

export interface Readiness {
  ready: boolean;
  /** Each service the edge calls: reported, not gating (its routes answer 503 while it is down). */
  dependencies: Record<string, 'up' | 'down'>;
}

/** Liveness, readiness, the JWKS and the docs index. */
export function opsRoutes(deps: { clients: Clients; ready: () => Promise<Readiness>; routes: Record<Version, Route[]> }) {
  const docs = docsPage(deps.routes);
  return async (app: FastifyInstance) => {
    app.get('/healthz', async () => ({ status: 'ok' }));
    app.get('/readyz', async (_request, reply) => {
      const { ready, dependencies } = await deps.ready();
      reply.code(ready ? 200 : 503);
      return { status: ready ? 'ready' : 'not ready', dependencies };
    });
    app.get('/.well-known/jwks.json', async (_request, reply) => {
      const { keys } = await deps.clients.auth.getJwks({}, { deadlineMs: 2_000 });
      reply.header('cache-control', 'public, max-age=300');
      return { keys };
    });
    app.get('/docs', async (_request, reply) => {
      reply.type('text/html; charset=utf-8');
      return docs;
    });
  };
}
