import fc from 'fast-check';

export interface Operation {
  method: string;
  /** OpenAPI path template, e.g. /api/v2/orders/{id}. */
  path: string;
}

export interface MalformedRequest {
  method: string;
  path: string;
  /** A raw request body (may not even be an object). */
  raw?: string;
  signedIn: boolean;
}

/** Every operation both OpenAPI documents describe, read from a running edge. */
export async function documentedOperations(base: string): Promise<Operation[]> {
  const operations: Operation[] = [];
  for (const version of ['v1', 'v2']) {
    const doc = (await (await fetch(`${base}/api/${version}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    for (const [path, ops] of Object.entries(doc.paths)) for (const method of Object.keys(ops)) if (path.startsWith('/api/')) operations.push({ method: method.toUpperCase(), path });
  }
  return operations;
}

/** The template with every path parameter set to `value` (URL-encoded). */
export const concretePath = (path: string, value: string): string => path.replace(/\{[^}]+\}/g, encodeURIComponent(value));

const NUL = 'bad\u0000value';

/**
 * For each operation, two requests with a NUL character (which Postgres cannot
 * store) in every place a string goes: the path, the body's every field, the
 * query.
 */
export function nulRequests(operations: Operation[]): MalformedRequest[] {
  const body = JSON.stringify({ email: `a${NUL}@x.test`, password: `pw${NUL}pw${NUL}pw${NUL}`, display_name: NUL, name: NUL, description: NUL, q: NUL, url: `https://x.test/${NUL}`, refresh_token: NUL, current_password: NUL, new_password: NUL, scopes: [NUL], payment_method: NUL, items: [{ product_id: NUL, quantity: 1 }], events: [NUL] });
  return operations.flatMap((op) => [
    { method: op.method, path: concretePath(op.path, NUL), signedIn: true, ...(op.method === 'GET' ? {} : { raw: body }) },
    { method: op.method, path: `${concretePath(op.path, '1')}?q=${encodeURIComponent(NUL)}&cursor=${encodeURIComponent(NUL)}`, signedIn: true },
  ]);
}

/** Random JSON bodies, path ids (forged, huge, encoded) and queries for any of `operations`, signed in or not. */
export function malformedRequests(operations: Operation[]): fc.Arbitrary<MalformedRequest> {
  const jsonish = fc.oneof(fc.jsonValue(), fc.dictionary(fc.constantFrom('email', 'password', 'display_name', 'name', 'price', 'stock', 'items', 'payment_method', 'url', 'scopes', 'refresh_token', 'cursor', 'limit', 'events'), fc.jsonValue()));
  const segment = fc.oneof(fc.string(), fc.constantFrom('usr_9999999999999999999', 'ord_0', 'prd_-1', '99999999999999999999', '%00', '..', 'ord_1e5'));
  const query = fc.dictionary(fc.constantFrom('cursor', 'limit', 'offset', 'q', 'unread_only', 'status'), fc.string(), { maxKeys: 3 });
  return fc.tuple(fc.constantFrom(...operations), jsonish, segment, query, fc.boolean()).map(([op, body, id, q, signedIn]) => ({
    method: op.method,
    path: `${concretePath(op.path, id)}?${new URLSearchParams(q).toString()}`,
    signedIn,
    ...(op.method === 'GET' || op.method === 'DELETE' ? {} : { raw: JSON.stringify(body) }),
  }));
}
