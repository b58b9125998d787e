import { documentRoute, OPS_ROUTES } from '../http/ops-routes';
import { routesFor } from '../routes';
import type { Route } from '../routes/route';
import type { Version } from '../routes/version';
import { openApiDocument } from './document';

/**
 * The route table of each version and its OpenAPI document, as the edge
 * serves them: what the app mounts, and what the typed client is generated
 * from (scripts/api-client/generate.ts), from one place.
 */
export function apiDocuments(options: { enumerationSafe: boolean }): { routes: Record<Version, Route[]>; documents: Record<Version, Record<string, unknown>> } {
  const routes = { v1: routesFor('v1', options), v2: routesFor('v2', options) };
  return {
    routes,
    documents: {
      v1: openApiDocument('v1', routes.v1, [...OPS_ROUTES, documentRoute('v1')]),
      v2: openApiDocument('v2', routes.v2, [...OPS_ROUTES, documentRoute('v2')]),
    },
  };
}
