import { z } from 'zod';
import type { Version } from './route';

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

export const idParam = z.strictObject({ id: z.string().min(1).max(64) });

export const email = z.string().trim().max(254);

/** v1 money: decimal string + currency; v2: minor units + currency. */
export function moneyInput(version: Version) {
  return version === 'v1'
    ? z.strictObject({ amount: z.string().regex(/^\d{1,12}(\.\d{1,2})?$/, 'a decimal amount like "19.99"'), currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code like "USD"') })
    : z.strictObject({ amount_minor: z.number().int().min(1).max(100_000_000_000), currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code like "USD"') });
}
