import type { Sql } from 'postgres';
import { AppError } from '@tessera/errors';
import type { ClusterDb, ReadOptions } from './cluster';
import { isIdDigits } from './ids';
import { MAX_OFFSET, type PageRequest } from './paging';

// Both halves become Postgres values: the id a bigint (past 2^63-1: error 22003), the time a timestamp (past year 9999: 22008).
const MAX_CURSOR_MICROS = 253_402_300_799_999_999n;

/** Position in a (created_at desc, id desc) listing; microseconds, so no two rows of one millisecond collide. */
export interface ListCursor {
  createdAtMicros: bigint;
  id: bigint;
}

export interface Page<T> {
  items: T[];
  /** Opaque; '' on the last page. */
  nextPageToken: string;
}

/**
 * SQL for "rows after this cursor" in a (created_at desc, id desc) listing, and
 * the matching key column. Microseconds cross as an exact bigint (a float8
 * interval holds integers up to 2^53 exactly; epoch microseconds stay below it
 * until the year 2255).
 */
export function olderThan(sql: Sql, after: ListCursor | undefined, columns = { createdAt: 'created_at', id: 'id' }) {
  if (!after) return sql`true`;
  return sql`(${sql(columns.createdAt)}, ${sql(columns.id)}) < (to_timestamp(0) + ${after.createdAtMicros.toString()}::bigint * interval '1 microsecond', ${after.id.toString()}::bigint)`;
}

export function micros(sql: Sql, column = 'created_at') {
  return sql`(extract(epoch from ${sql(column)}) * 1000000)::bigint::text`;
}

export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(`${cursor.createdAtMicros}.${cursor.id}`).toString('base64url');
}

export function decodeCursor(value: string, field = '/page_token'): ListCursor {
  const match = value.length <= 64 ? /^(\d{1,19})\.(\d{1,19})$/.exec(Buffer.from(value, 'base64url').toString()) : null;
  if (!match || BigInt(match[1]!) > MAX_CURSOR_MICROS || !isIdDigits(match[2]!)) throw AppError.invalidArgument('invalid page token', [{ field, description: 'must be a next_page_token from a previous response' }]);
  return { createdAtMicros: BigInt(match[1]!), id: BigInt(match[2]!) };
}

/**
 * A cross-shard listing, newest first: every cluster is asked in parallel for
 * its first `limit` rows after the cursor, and the merged, sorted first `limit`
 * rows are the page. Each row reports its own sort key; the last row's key is
 * the next cursor, so paging is complete and duplicate-free.
 */
export async function scatterGather<T>(
  clusters: readonly ClusterDb[],
  query: (sql: Sql, after: ListCursor | undefined, limit: number) => Promise<T[]>,
  key: (row: T) => ListCursor,
  options: { page: PageRequest; read?: ReadOptions },
): Promise<Page<T>> {
  const { size } = options.page;
  const after = options.page.token ? decodeCursor(options.page.token) : undefined;
  // Offsets (the v1 API's paging) are served by over-fetching: each cluster's
  // first offset + size rows hold the page. Capped, since deep offsets cost that much.
  const offset = after ? 0 : Math.min(Math.max(0, options.page.offset), MAX_OFFSET);
  // One extra row tells whether anything is left after this page.
  const perCluster = await Promise.all(clusters.map((c) => c.read((sql) => query(sql, after, offset + size + 1), options.read)));
  const merged = perCluster.flat().sort((a, b) => compareDesc(key(a), key(b)));
  const items = merged.slice(offset, offset + size);
  const last = items[items.length - 1];
  return { items, nextPageToken: merged.length > offset + size && last ? encodeCursor(key(last)) : '' };
}

function compareDesc(a: ListCursor, b: ListCursor): number {
  if (a.createdAtMicros !== b.createdAtMicros) return a.createdAtMicros > b.createdAtMicros ? -1 : 1;
  return a.id === b.id ? 0 : a.id > b.id ? -1 : 1;
}
