import { z } from 'zod';
import type { Version } from './version';

export interface PageQuery {
  limit: number;
  offset?: number;
  cursor?: string;
}

/** Paging query fields: v1 limit/offset, v2 limit/cursor; limit is clamped to 100, not refused. */
export function pageShape(version: Version): z.ZodRawShape {
  const limit = z.coerce.number().int().min(1).max(1_000).optional().transform((v) => Math.min(v ?? 20, 100));
  return version === 'v1'
    ? { limit, offset: z.coerce.number().int().min(0).max(10_000).optional().transform((v) => v ?? 0) }
    : { limit, cursor: z.string().max(200).optional().transform((v) => v ?? '') };
}

/** A strict query schema: paging plus `extra` fields; anything else is refused. */
export function pageQuery<E extends z.ZodRawShape>(version: Version, extra?: E): z.ZodType<PageQuery & z.infer<z.ZodObject<E>>> {
  return z.strictObject({ ...pageShape(version), ...(extra ?? {}) }) as never;
}

/** REST paging → the services' `PageRequest`. */
export const pageRequest = (q: PageQuery) => ({ pageSize: q.limit, pageToken: q.cursor ?? '', offset: q.offset ?? 0 });

/** What the version format needs to write a page: the request's window and the service's next cursor. */
export const pageWindow = (q: PageQuery, next: string | undefined) => ({ limit: q.limit, offset: q.offset ?? 0, nextCursor: next ?? '' });
