import type { PageRequest } from '@tessera/data';
import { AppError, Code } from '@tessera/errors';
import type { NewProduct, Product, ProductChanges, ProductFilter, ProductPage, ProductRepository, StockLine } from './product';
import { assertValidChanges, assertValidLines, assertValidNewProduct } from './validation';

export interface CatalogDeps {
  products: ProductRepository;
}

export async function createProduct(input: NewProduct, deps: CatalogDeps, deadline: number): Promise<Product> {
  assertValidNewProduct(input);
  return deps.products.insert({ ...input, name: input.name.trim() }, deadline);
}

export async function getProduct(id: string, deps: CatalogDeps, deadline: number): Promise<Product> {
  const product = await deps.products.findById(id, deadline);
  if (!product) throw AppError.notFound('product');
  return product;
}

export async function batchGetProducts(ids: readonly string[], deps: CatalogDeps, deadline: number): Promise<{ products: Product[]; missingIds: string[] }> {
  if (ids.length > 100) throw AppError.invalidArgument('too many ids', [{ field: '/ids', description: 'at most 100' }]);
  const found = await deps.products.findByIds(ids, deadline);
  return { products: ids.flatMap((id) => found.get(id) ?? []), missingIds: ids.filter((id) => !found.has(id)) };
}

export async function listProducts(filter: ProductFilter, page: PageRequest, deps: CatalogDeps, deadline: number): Promise<ProductPage> {
  if (filter.minPriceMinor !== undefined && filter.maxPriceMinor !== undefined && filter.minPriceMinor > filter.maxPriceMinor) {
    throw AppError.invalidArgument('empty price range', [{ field: '/min_price_minor', description: 'must not exceed max_price_minor' }]);
  }
  if (filter.query.length > 200) throw AppError.invalidArgument('query too long', [{ field: '/query', description: 'at most 200 characters' }]);
  return deps.products.list(filter, page, deadline);
}

export async function updateProduct(id: string, changes: ProductChanges, deps: CatalogDeps, deadline: number): Promise<Product> {
  assertValidChanges(changes);
  const product = await deps.products.update(id, changes, deadline);
  if (!product) throw AppError.notFound('product');
  return product;
}

export async function deleteProduct(id: string, deps: CatalogDeps, deadline: number): Promise<void> {
  if (!(await deps.products.softDelete(id, deadline))) throw AppError.notFound('product');
}

export async function reserveStock(orderId: string, lines: readonly StockLine[], deps: CatalogDeps, deadline: number): Promise<Product[]> {
  assertValidLines(lines);
  const outcome = await deps.products.reserve(orderId, lines, deadline);
  if (outcome.kind === 'reserved') return outcome.products;
  const line = lines.findIndex((l) => l.productId === outcome.productId);
  const [message, field, description] =
    outcome.kind === 'insufficient_stock'
      ? ['not enough stock', `/lines/${line}/quantity`, 'exceeds the stock available']
      : ['unknown product', `/lines/${line}/product_id`, 'no such product'];
  throw new AppError(Code.FAILED_PRECONDITION, message, [{ field, description }]);
}

export function releaseStock(orderId: string, deps: CatalogDeps, deadline: number): Promise<boolean> {
  return deps.products.release(orderId, deadline);
}
