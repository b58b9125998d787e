import type { z } from 'zod';
import { findNulString } from '@tessera/grpc-kit';
import { problem, type Violation } from '../errors/problem';

export type Where = '' | '/query' | '/path';

/** zod issues → JSON pointers into the request (RFC 6901: `~` and `/` escaped). */
function violations(error: z.ZodError, root: Where): Violation[] {
  return error.issues.map((issue) => ({
    pointer: `${root}/${issue.path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`.replace(/\/$/, '') || '/',
    detail: issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message,
  }));
}

/** Parses one part of the request with its schema, or throws a 400 naming every bad field. */
export function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, root: Where): T {
  if (!schema) return {} as T;
  // Postgres text cannot hold U+0000: refuse it here, as bad input, not deep inside as a 500.
  const nul = findNulString(value);
  if (nul) throw problem(400, 'request has invalid fields', [{ pointer: `${root}${nul === '/' ? '' : nul}` || '/', detail: 'must not contain NUL characters' }]);
  const result = schema.safeParse(value);
  if (!result.success) throw problem(400, 'request has invalid fields', violations(result.error, root));
  return result.data;
}
