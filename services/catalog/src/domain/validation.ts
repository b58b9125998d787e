import { AppError, type FieldViolation } from '@tessera/errors';
import type { NewProduct, ProductChanges, StockLine } from './product';

const CURRENCY = /^[A-Z]{3}$/;
// Prices above this are refused: comfortably inside 2^53 (JSON numbers) even after multiplying by a line quantity.
export const MAX_PRICE_MINOR = 1_000_000_000_00;
export const MAX_STOCK = 1_000_000_000;

function violationsOf(changes: ProductChanges): FieldViolation[] {
  const v: FieldViolation[] = [];
  if (changes.name !== undefined && ([...changes.name.trim()].length < 1 || [...changes.name].length > 200)) v.push({ field: '/name', description: 'must be 1 to 200 characters' });
  if (changes.description !== undefined && [...changes.description].length > 5_000) v.push({ field: '/description', description: 'must be at most 5,000 characters' });
  if (changes.priceMinor !== undefined && (!Number.isSafeInteger(changes.priceMinor) || changes.priceMinor < 1 || changes.priceMinor > MAX_PRICE_MINOR)) {
    v.push({ field: '/price/amount_minor', description: `must be a whole number from 1 to ${MAX_PRICE_MINOR}` });
  }
  if (changes.currency !== undefined && !CURRENCY.test(changes.currency)) v.push({ field: '/price/currency', description: 'must be an ISO 4217 code like "USD"' });
  if (changes.stock !== undefined && (!Number.isSafeInteger(changes.stock) || changes.stock < 0 || changes.stock > MAX_STOCK)) v.push({ field: '/stock', description: `must be a whole number from 0 to ${MAX_STOCK}` });
  return v;
}

export function assertValidNewProduct(product: NewProduct): void {
  const v = violationsOf(product);
  if (v.length > 0) throw AppError.invalidArgument('request has invalid fields', v);
}

export function assertValidChanges(changes: ProductChanges): void {
  const v = violationsOf(changes);
  if (Object.values(changes).every((x) => x === undefined)) v.push({ field: '/', description: 'must change at least one field' });
  if (v.length > 0) throw AppError.invalidArgument('request has invalid fields', v);
}

export function assertValidLines(lines: readonly StockLine[]): void {
  const v: FieldViolation[] = [];
  if (lines.length < 1 || lines.length > 50) v.push({ field: '/lines', description: 'must have 1 to 50 lines' });
  const seen = new Set<string>();
  lines.forEach((line, i) => {
    if (!Number.isSafeInteger(line.quantity) || line.quantity < 1 || line.quantity > 1_000) v.push({ field: `/lines/${i}/quantity`, description: 'must be from 1 to 1,000' });
    if (seen.has(line.productId)) v.push({ field: `/lines/${i}/product_id`, description: 'each product at most once' });
    seen.add(line.productId);
  });
  if (v.length > 0) throw AppError.invalidArgument('request has invalid fields', v);
}
