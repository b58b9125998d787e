import type { FastifyInstance } from 'fastify';
import type { Clients } from '../clients';
import type { ExtraOperation } from '../openapi/document';
import { docsPage } from '../openapi/docs-page';
import type { Route } from '../routes/route';
import type { Version } from '../routes/version';

const json = (schema: Record<string, unknown>) => ({ content: { 'application/json': { schema } } });
const readiness = {
  type: 'object',
  required: ['status', 'dependencies'],
  properties: {
    status: { enum: ['ready', 'not ready'] },
    dependencies: { type: 'object', additionalProperties: { enum: ['up', 'down'] }, description: 'Each service the edge calls' },
    metrics_port: { type: 'integer', description: 'Where this process serves /metrics (Prometheus text format)' },
  },
  additionalProperties: false,
};
const oauthProblem = {
  description: 'RFC 6749 §5.2 (application/json): `error` is invalid_request, invalid_client, invalid_scope or unsupported_grant_type; the RFC 9457 problem members are there too',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['type', 'title', 'status', 'request_id', 'error'],
        properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, request_id: { type: 'string' }, error: { enum: ['invalid_request', 'invalid_client', 'invalid_scope', 'unsupported_grant_type'] }, error_description: { type: 'string' } },
        additionalProperties: false,
      },
    },
  },
};
const limitHeaders = { RateLimit: { $ref: '#/components/headers/RateLimit' }, 'RateLimit-Policy': { $ref: '#/components/headers/RateLimit-Policy' }, 'Cache-Control': { $ref: '#/components/headers/Cache-Control' } };

/** Routes outside the versioned API that the edge itself documents, with their answers. */
export const OPS_ROUTES: ExtraOperation[] = [
  { method: 'get', path: '/healthz', summary: 'Process is alive', tag: 'ops', operation: { responses: { '200': { description: 'Alive', ...json({ type: 'object', required: ['status'], properties: { status: { const: 'ok' } }, additionalProperties: false }) } } } },
  {
    method: 'get', path: '/readyz', summary: 'The edge takes traffic (503 while draining); the state of each service beside it', tag: 'ops',
    operation: { responses: { '200': { description: 'Ready', ...json(readiness) }, '503': { description: 'Not ready (starting or draining)', ...json(readiness) } } },
  },
  {
    method: 'get', path: '/.well-known/jwks.json', summary: 'Public keys that verify access tokens', tag: 'auth',
    operation: {
      responses: {
        '200': {
          description: 'The JWK set (RFC 7517); cache it for max-age',
          headers: { 'Cache-Control': { $ref: '#/components/headers/Cache-Control' } },
          ...json({ type: 'object', required: ['keys'], properties: { keys: { type: 'array', items: { type: 'object', required: ['kty', 'kid', 'alg'], properties: { kty: { type: 'string' }, crv: { type: 'string' }, x: { type: 'string' }, y: { type: 'string' }, kid: { type: 'string' }, alg: { type: 'string' }, use: { type: 'string' } }, additionalProperties: false } } }, additionalProperties: false }),
        },
        '503': { $ref: '#/components/responses/ServiceUnavailable' },
      },
    },
  },
  {
    method: 'post', path: '/oauth/token', summary: 'OAuth 2.0 client credentials grant (form-encoded)', tag: 'auth',
    operation: {
      security: [{ clientBasic: [] }, {}],
      requestBody: {
        required: true,
        content: {
          'application/x-www-form-urlencoded': {
            schema: {
              type: 'object',
              required: ['grant_type'],
              properties: { grant_type: { const: 'client_credentials' }, scope: { type: 'string', description: 'Space-separated; at most the client\'s scopes (all of them when absent)' }, client_id: { type: 'string', description: 'When not sent with HTTP Basic' }, client_secret: { type: 'string' } },
            },
          },
        },
      },
      responses: {
        '200': {
          description: 'An access token, to send as a bearer',
          headers: limitHeaders,
          ...json({ type: 'object', required: ['access_token', 'token_type', 'expires_in', 'scope'], properties: { access_token: { type: 'string' }, token_type: { const: 'Bearer' }, expires_in: { type: 'integer' }, scope: { type: 'string' } }, additionalProperties: false }),
        },
        '400': { ...oauthProblem, headers: limitHeaders },
        '401': { ...oauthProblem, headers: { ...limitHeaders, 'WWW-Authenticate': { $ref: '#/components/headers/WWW-Authenticate' } } },
        '413': { $ref: '#/components/responses/ContentTooLarge' },
        '429': { $ref: '#/components/responses/TooManyRequests' },
        '503': { $ref: '#/components/responses/ServiceUnavailable' },
        '504': { $ref: '#/components/responses/GatewayTimeout' },
      },
    },
  },
  { method: 'get', path: '/docs', summary: 'Human-readable API index', tag: 'ops', operation: { responses: { '200': { description: 'An HTML page', content: { 'text/html': { schema: { type: 'string' } } } } } } },
];

/** GET /api/{version}/openapi.json: the version's own document. */
export const documentRoute = (version: Version): ExtraOperation => ({
  method: 'get', path: `/api/${version}/openapi.json`, summary: 'This document', tag: 'ops',
  operation: { responses: { '200': { description: 'OpenAPI 3.1', ...json({ type: 'object', required: ['openapi', 'paths'] }) } } },
});

export interface Readiness {
  ready: boolean;
  /** Each service the edge calls: reported, not gating (its routes answer 503 while it is down). */
  dependencies: Record<string, 'up' | 'down'>;
  /** Where this process serves /metrics (its own port, or the monolith's). */
  metricsPort?: number;
}

/** Liveness, readiness, the JWKS and the docs index. */
export function opsRoutes(deps: { clients: Clients; ready: () => Promise<Readiness>; routes: Record<Version, Route[]> }) {
  const docs = docsPage(deps.routes);
  return async (app: FastifyInstance) => {
    app.get('/healthz', async () => ({ status: 'ok' }));
    app.get('/readyz', async (_request, reply) => {
      const { ready, dependencies, metricsPort } = await deps.ready();
      reply.code(ready ? 200 : 503);
      return { status: ready ? 'ready' : 'not ready', dependencies, ...(metricsPort ? { metrics_port: metricsPort } : {}) };
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
