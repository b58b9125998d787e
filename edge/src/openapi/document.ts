import { z } from 'zod';
import type { Route } from '../routes/route';
import type { Version } from '../routes/version';

const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    request_id: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', properties: { pointer: { type: 'string' }, detail: { type: 'string' } } } },
  },
};

/** "/orders/:id/cancel" → "/orders/{id}/cancel" */
export const openApiPath = (expressPath: string) => expressPath.replace(/:([A-Za-z_]+)/g, '{$1}');

function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/**
 * The OpenAPI 3.1 document of one version, generated from the same route
 * table (and the same zod schemas) that the edge mounts and validates with, so
 * the two cannot drift.
 */
export function openApiDocument(version: Version, routes: Route[], extra: { path: string; method: string; summary: string; tag: string }[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters: unknown[] = [];
    for (const [where, schema] of [['path', r.params], ['query', r.query]] as const) {
      if (!schema) continue;
      const props = (jsonSchema(schema).properties ?? {}) as Record<string, unknown>;
      const required = new Set(((jsonSchema(schema).required as string[] | undefined) ?? []));
      for (const [name, s] of Object.entries(props)) parameters.push({ name, in: where, required: where === 'path' || required.has(name), schema: s });
    }
    if (r.idempotent) parameters.push({ name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', maxLength: 255 } });
    const responses: Record<string, unknown> = {
      [String(r.success)]: { description: r.success === 204 ? 'No content' : 'Success' },
      default: { description: 'Problem (RFC 9457)', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
    };
    paths[`/api/${version}${openApiPath(r.path)}`] ??= {};
    paths[`/api/${version}${openApiPath(r.path)}`]![r.method] = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method}${r.path.replace(/[/:]+([a-z])/g, (_m, c: string) => c.toUpperCase()).replace(/[^A-Za-z]/g, '')}`,
      ...(r.access === 'public' ? { security: [] } : { security: [{ bearer: r.scopes }, { apiKey: r.scopes }] }),
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } } } : {}),
      responses,
      ...(version === 'v1' ? { deprecated: true } : {}),
    };
  }
  for (const e of extra) {
    paths[e.path] ??= {};
    paths[e.path]![e.method] = { summary: e.summary, tags: [e.tag], security: [], responses: { '200': { description: 'Success' } } };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: `Tessera API ${version}`,
      version: version === 'v1' ? '1.0.0' : '2.0.0',
      description:
        version === 'v1'
          ? 'Deprecated: numeric ids, decimal money, limit/offset paging. Use v2.'
          : 'Prefixed ids, money in minor units, cursor paging. Reads carry X-Consistency-Token for read-your-writes.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT or tsk_ API key' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        oauth: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: '/oauth/token', scopes: {} } } },
      },
      schemas: { Problem: problemSchema },
    },
    paths,
  };
}
