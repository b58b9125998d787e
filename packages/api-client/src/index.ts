import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './gen/v2';

export type { components, paths } from './gen/v2';

/** The bodies of /api/v2 by name: `Schemas['Order']`, `Schemas['ProductPage']`, … */
export type Schemas = components['schemas'];

export type TesseraClient = Client<paths>;

/**
 * A typed client for /api/v2: paths, parameters, bodies and answers (success
 * and problem) checked at compile time against the document the edge serves.
 *
 *   const api = tesseraClient('http://localhost:8080', { token });
 *   const { data, error, response } = await api.GET('/api/v2/orders/{id}', { params: { path: { id } } });
 *
 * `token` is a session or client JWT, or a tsk_ API key (all bearer credentials).
 */
export function tesseraClient(baseUrl: string, options: { token?: string; headers?: Record<string, string> } = {}): TesseraClient {
  return createClient<paths>({ baseUrl, headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers } });
}
