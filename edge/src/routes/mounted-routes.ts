import type { FastifyInstance, RouteOptions } from 'fastify';
import { openApiPath } from '../openapi/document';

/**
 * Records what the app actually mounts, as "GET /api/v2/orders/{id}", from
 * Fastify's onRoute hook: the test that compares routes with the OpenAPI
 * documents reads this. HEAD routes Fastify adds for GETs are left out.
 */
export function recordMountedRoutes(app: FastifyInstance): () => string[] {
  const mounted: string[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') mounted.push(`${method} ${openApiPath(route.url)}`);
  });
  return () => [...mounted];
}
