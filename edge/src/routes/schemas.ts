import { z } from 'zod';
import type { Version } from './version';

export const idParam = z.strictObject({ id: z.string().min(1).max(64) });

export const email = z.string().trim().max(254);

/**
 * A string of `min` to `max` characters counted as the services count them
 * (code points) and as JSON Schema documents them; zod's own min/max count
 * UTF-16 units, which would refuse 100 emoji as 200 characters.
 */
export const chars = (min: number, max: number) =>
  z
    .string()
    .max(max * 2)
    .refine((s) => {
      const n = [...s].length;
      return n >= min && n <= max;
    }, min > 0 ? `must be ${min} to ${max} characters` : `must be at most ${max} characters`)
    .meta({ minLength: min, maxLength: max });

/** What the services accept as a password (NIST SP 800-63B lengths); a login takes anything, and fails. */
export const newPassword = chars(12, 128);

/** A payment method token, as the orders and payments services accept it. */
export const paymentMethod = z.string().regex(/^pm_[a-z0-9_]{1,60}$/, 'must be a payment method token like "pm_card_ok"');

/** v1 money: decimal string + currency; v2: minor units + currency. */
export function moneyInput(version: Version) {
  return version === 'v1'
    ? z.strictObject({ amount: z.string().regex(/^\d{1,12}(\.\d{1,2})?$/, 'a decimal amount like "19.99"'), currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code like "USD"') })
    : z.strictObject({ amount_minor: z.number().int().min(1).max(100_000_000_000), currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code like "USD"') });
}
