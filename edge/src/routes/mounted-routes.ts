import type { Router } from 'express';
import { openApiPath } from '../openapi/document';

type Layer = { route?: { path: string; methods: Record<string, boolean> } };

/**
 * What Express actually has mounted, read back from its routers' stacks, as
 * "GET /api/v2/orders/{id}": the test that compares routes with the OpenAPI
 * documents reads this. The one place that knows Express's internals.
 */
export function mountedRoutes(mounts: readonly [prefix: string, router: Router][]): string[] {
  return mounts.flatMap(([prefix, router]) =>
    (router as unknown as { stack: Layer[] }).stack
      .filter((layer) => layer.route)
      .flatMap((layer) => Object.keys(layer.route!.methods).filter((m) => m !== '_all').map((m) => `${m.toUpperCase()} ${prefix}${openApiPath(layer.route!.path)}`)),
  );
}
