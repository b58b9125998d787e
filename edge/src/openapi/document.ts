import { z } from 'zod';
import { responseSchemas } from '../routes/responses';
import type { Route } from '../routes/route';
import type { Version } from '../routes/version';

type Json = Record<string, unknown>;

/** An operation outside the route table that the edge documents too (probes, JWKS, the token endpoint). */
export interface ExtraOperation {
  method: string;
  path: string;
  summary: string;
  tag: string;
  /** The OpenAPI operation's own parts (responses, requestBody, security); problem answers are added. */
  operation: Json;
}

const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'request_id'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    request_id: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', required: ['pointer', 'detail'], properties: { pointer: { type: 'string', description: 'JSON pointer (RFC 6901) into the request; /path, /query or the body' }, detail: { type: 'string' } }, additionalProperties: false },
    },
  },
  additionalProperties: false,
};

const string = { type: 'string' };
/** Response headers, each documented once (components.headers). */
const HEADERS: Record<string, Json> = {
  'X-Request-Id': { description: 'The request id: the one sent when valid, else a new one. Quote it when reporting a problem.', schema: string },
  RateLimit: { description: 'The quota left in the current window (draft-ietf-httpapi-ratelimit-headers-08).', schema: string },
  'RateLimit-Policy': { description: 'The quota that applied: its name, size and window in seconds.', schema: string },
  'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'string', pattern: '^[0-9]+$' } },
  ETag: { description: 'A weak validator of the body: send it back as If-None-Match to get 304 while it holds.', schema: string },
  Location: { description: 'The resource the request created (or, for a replay, had created).', schema: string },
  'X-Consistency-Token': { description: 'What this write produced: send it back on reads (X-Consistency-Token) to see it at once from any replica. The edge also remembers it for the caller for a while.', schema: string },
  'Idempotent-Replayed': { description: 'The answer is a replay of the one this Idempotency-Key already got.', schema: { type: 'string', enum: ['true'] } },
  'WWW-Authenticate': { description: 'The authentication scheme to use (RFC 9110).', schema: string },
  'Cache-Control': { description: 'no-store on answers with secrets and on writes; public caching hints on public reads.', schema: string },
  Deprecation: { description: 'v1 is deprecated since this date (RFC 9745).', schema: string },
  Sunset: { description: 'v1 stops answering after this date (RFC 8594).', schema: string },
  Link: { description: 'The successor version\'s document (rel="successor-version").', schema: string },
};

/** Request headers every operation takes, beyond credentials. */
const PARAMETERS: Record<string, Json> = {
  RequestId: { name: 'X-Request-Id', in: 'header', required: false, description: 'Your id for this request (1 to 128 of A-Z a-z 0-9 . _ -); echoed back and logged.', schema: { type: 'string', maxLength: 128 } },
  Traceparent: { name: 'traceparent', in: 'header', required: false, description: 'W3C Trace Context: the request joins your trace.', schema: string },
  ConsistencyToken: { name: 'X-Consistency-Token', in: 'header', required: false, description: 'Tokens from earlier writes (comma-separated): the read waits until a replica has them, or goes to the primary.', schema: string },
  IfNoneMatch: { name: 'If-None-Match', in: 'header', required: false, description: 'An ETag from an earlier answer: 304 with no body while it still matches.', schema: string },
  IdempotencyKey: { name: 'Idempotency-Key', in: 'header', required: true, description: 'Unique per intended write (1 to 255 visible ASCII characters): a retry with the same key and body gets the first answer back.', schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' } },
};

const ref = (kind: 'schemas' | 'headers' | 'parameters' | 'responses', name: string) => ({ $ref: `#/components/${kind}/${name}` });

/** Problem answers, by status: what each means, and the headers it carries beyond the common ones. */
const PROBLEMS: Record<number, { name: string; description: string; headers?: string[] }> = {
  400: { name: 'BadRequest', description: 'The request is malformed or a field is invalid (see errors[])' },
  401: { name: 'Unauthorized', description: 'No valid credentials', headers: ['WWW-Authenticate'] },
  403: { name: 'Forbidden', description: 'The credentials lack a scope or role this needs' },
  404: { name: 'NotFound', description: 'No such resource, or not yours to see' },
  409: { name: 'Conflict', description: 'The state does not allow it (e.g. the email is taken, a concurrent change)' },
  413: { name: 'ContentTooLarge', description: 'The body is over the limit' },
  415: { name: 'UnsupportedMediaType', description: 'The body is not application/json' },
  422: { name: 'UnprocessableContent', description: 'The Idempotency-Key was used with a different body' },
  428: { name: 'PreconditionRequired', description: 'The Idempotency-Key header is missing' },
  429: { name: 'TooManyRequests', description: 'Over a rate limit or failure budget', headers: ['Retry-After'] },
  500: { name: 'InternalError', description: 'An unexpected error; nothing internal is shown' },
  503: { name: 'ServiceUnavailable', description: 'Busy (load shedding) or a dependency is down', headers: ['Retry-After'] },
  504: { name: 'GatewayTimeout', description: 'The request ran out of its time budget' },
};

/** The JSON Schemas of every named response body of a version (components.schemas). */
function componentSchemas(version: Version): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(responseSchemas(version))) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io: 'output', uri: (id) => `#/components/schemas/${id}` }) as { schemas: Record<string, Json> };
  return Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...schema }]) => [id, schema]));
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

/** "/orders/:id/cancel" → "/orders/{id}/cancel" */
export const openApiPath = (expressPath: string) => expressPath.replace(/:([A-Za-z_]+)/g, '{$1}');

const operationId = (r: Route) => `${r.method}${r.path.replace(/[/:]+([a-z])/g, (_m, c: string) => c.toUpperCase()).replace(/[^A-Za-z]/g, '')}`;

/** Which problems an operation can answer with, from what it takes and who may call it. */
function problemStatuses(r: Route): number[] {
  const statuses = [400, 401, 429, 500, 503, 504];
  if (r.access !== 'public') statuses.push(403);
  if (r.params || r.access !== 'public') statuses.push(404);
  if (r.method !== 'get') statuses.push(409);
  if (r.body) statuses.push(413, 415);
  if (r.idempotent) statuses.push(422, 428);
  return statuses.sort((a, b) => a - b);
}

/** The scopes the `oauth` scheme gates here: those of the routes machine clients may call ("products:write" → "Change products"). */
function clientScopes(routes: Route[]): Record<string, string> {
  const scopes = [...new Set(routes.filter((r) => r.allowClients).flatMap((r) => r.scopes))].sort();
  return Object.fromEntries(scopes.map((s) => [s, `${s.endsWith(':read') ? 'Read' : 'Change'} ${s.split(':')[0]}`]));
}

/**
 * The OpenAPI 3.1 document of one version, generated from the same route
 * table (and the same zod schemas) that the edge mounts and validates with,
 * and from the response schemas its answers are checked against, so the
 * three cannot drift.
 */
export function openApiDocument(version: Version, routes: Route[], extra: ExtraOperation[]): Json {
  // Headers on every answer of this version; v1's carry its deprecation.
  const common = ['X-Request-Id', 'Cache-Control', ...(version === 'v1' ? ['Deprecation', 'Sunset', 'Link'] : [])];
  const always = ['X-Request-Id', ...(version === 'v1' ? ['Deprecation', 'Sunset'] : [])];
  const headers = (names: string[], required: string[] = []) =>
    Object.fromEntries([...common, ...names].map((h) => [h, always.includes(h) || required.includes(h) ? { ...ref('headers', h), required: true } : ref('headers', h)]));
  // A $ref beside `required` is fine in 3.1; the sibling wins over the referenced header's default.
  const problemResponses: Record<string, Json> = Object.fromEntries(
    Object.values(PROBLEMS).map((p) => [p.name, { description: p.description, headers: headers(['RateLimit', 'RateLimit-Policy', ...(p.headers ?? [])]), content: { 'application/problem+json': { schema: ref('schemas', 'Problem') } } }]),
  );

  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const parameters: unknown[] = [];
    for (const [where, schema] of [['path', r.params], ['query', r.query]] as const) {
      if (!schema) continue;
      const doc = jsonSchema(schema);
      const required = new Set((doc.required as string[] | undefined) ?? []);
      for (const [name, s] of Object.entries((doc.properties ?? {}) as Json)) parameters.push({ name, in: where, required: where === 'path' || required.has(name), schema: s });
    }
    parameters.push(ref('parameters', 'RequestId'), ref('parameters', 'Traceparent'), ref('parameters', 'ConsistencyToken'));
    if (r.method === 'get') parameters.push(ref('parameters', 'IfNoneMatch'));
    if (r.idempotent) parameters.push(ref('parameters', 'IdempotencyKey'));

    const limits = ['RateLimit', 'RateLimit-Policy'];
    const writes = r.method === 'get' ? [] : ['X-Consistency-Token'];
    const own = [...(r.method === 'get' ? ['ETag'] : []), ...(r.locates ? ['Location'] : [])];
    const responses: Record<string, Json> = {
      [String(r.success)]: {
        description: r.summary,
        headers: headers([...limits, ...writes, ...own], own),
        ...(r.response ? { content: { 'application/json': { schema: ref('schemas', r.response) } } } : {}),
      },
    };
    for (const also of r.alsoSuccess ?? []) {
      responses[String(also.status)] = { description: also.description, headers: headers([...limits, ...writes, ...(also.headers ?? [])], also.headers ?? []), content: { 'application/json': { schema: ref('schemas', also.response) } } };
    }
    if (r.method === 'get') responses['304'] = { description: 'Not modified: the If-None-Match ETag still matches', headers: headers([...limits, 'ETag'], ['ETag']) };
    for (const status of problemStatuses(r)) responses[String(status)] = ref('responses', PROBLEMS[status]!.name);

    // Who may call: user sessions and API keys (with the scopes); OAuth clients where the route allows them.
    const security = r.access === 'public' ? [] : [{ bearer: r.scopes }, ...(r.sessionOnly ? [] : [{ apiKey: r.scopes }]), ...(r.allowClients ? [{ oauth: r.scopes }] : [])];
    paths[`/api/${version}${openApiPath(r.path)}`] ??= {};
    paths[`/api/${version}${openApiPath(r.path)}`]![r.method] = {
      summary: r.summary,
      tags: [r.tag],
      operationId: operationId(r),
      security,
      parameters,
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } } } : {}),
      responses,
      ...(version === 'v1' ? { deprecated: true } : {}),
    };
  }
  for (const e of extra) {
    paths[e.path] ??= {};
    const own = (e.operation.responses ?? {}) as Json;
    // Inside the version's prefix an answer carries the version's common headers; outside it, the request id.
    const base = e.path.startsWith(`/api/${version}/`) ? headers([]) : { 'X-Request-Id': { ...ref('headers', 'X-Request-Id'), required: true } };
    const withHeaders = (response: Json): Json => ('$ref' in response ? response : { ...response, headers: { ...base, ...(response.headers as Json | undefined) } });
    paths[e.path]![e.method] = {
      summary: e.summary,
      tags: [e.tag],
      security: [],
      ...e.operation,
      responses: { ...Object.fromEntries(Object.entries(own).map(([status, response]) => [status, withHeaders(response as Json)])), '500': ref('responses', 'InternalError') },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: `Tessera API ${version}`,
      version: version === 'v1' ? '1.0.0' : '2.0.0',
      description:
        version === 'v1'
          ? 'Deprecated: numeric ids, decimal money, limit/offset paging. Use v2.'
          : 'Prefixed ids, money in minor units, cursor paging. Writes answer X-Consistency-Token; reads that carry it see those writes.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (a session or an OAuth client token) or a tsk_ API key' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        oauth: { type: 'oauth2', description: 'Machine clients: the client-credentials grant, then the token as a bearer.', flows: { clientCredentials: { tokenUrl: '/oauth/token', scopes: clientScopes(routes) } } },
        clientBasic: { type: 'http', scheme: 'basic', description: 'An OAuth client\'s id and secret (RFC 6749 §2.3.1); or send them as form fields.' },
      },
      schemas: { Problem: problemSchema, ...componentSchemas(version) },
      headers: HEADERS,
      parameters: PARAMETERS,
      responses: problemResponses,
    },
    paths,
  };
}
