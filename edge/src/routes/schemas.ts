import { z } from 'zod';
import type { Version } from './version';

export const idParam = z.strictObject({ id: z.string().min(1).max(64) });

export const email = z.string().trim().max(254);

/** v1 money: decimal string + currency; v2: minor units + currency. */
export function moneyInput(version: Version) {
  return version === 'v1'
    ? z.strictObject({ amount: z.string().regex(/^\d{1,12}(\.\d{1,2})?$/, 'a decimal amount like "19.99"'), currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code like "USD"') })
    : z.strictObject({ amount_minor: z.number().int().min(1).max(100_000_000_000), currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code like "USD"') });
}
