import { Router } from 'express';
import type { Clients } from '../clients';
import { docsPage } from '../openapi/docs-page';
import type { Route } from '../routes/route';
import type { Version } from '../routes/version';

/** Routes outside the versioned API that the edge itself documents. */
export const OPS_ROUTES = [
  { method: 'get', path: '/healthz', summary: 'Process is alive', tag: 'ops' },
  { method: 'get', path: '/readyz', summary: 'Dependencies are reachable', tag: 'ops' },
  { method: 'get', path: '/.well-known/jwks.json', summary: 'Public keys that verify access tokens', tag: 'auth' },
  { method: 'post', path: '/oauth/token', summary: 'OAuth 2.0 client credentials grant (form-encoded)', tag: 'auth' },
  { method: 'get', path: '/docs', summary: 'Human-readable API index', tag: 'ops' },
];

/** Liveness, readiness, the JWKS and the docs index. */
export function opsRoutes(deps: { clients: Clients; ready: () => Promise<boolean>; routes: Record<Version, Route[]> }): Router {
  const router = Router();
  const docs = docsPage(deps.routes);
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const ready = await deps.ready().catch(() => false);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready' });
  });
  router.get('/.well-known/jwks.json', async (_req, res) => {
    const { keys } = await deps.clients.auth.getJwks({}, { deadlineMs: 2_000 });
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json({ keys });
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(docs);
  });
  return router;
}
