import type { PageRequest } from '@tessera/data';
/** A product as the domain sees it. */
export interface Product {
  id: string;
  name: string;
  description: string;
  priceMinor: number;
  currency: string;
  stock: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewProduct {
  name: string;
  description: string;
  priceMinor: number;
  currency: string;
  stock: number;
}

export type ProductChanges = Partial<NewProduct>;

export interface ProductFilter {
  query: string;
  minPriceMinor?: number;
  maxPriceMinor?: number;
}

export interface ProductPage {
  products: Product[];
  nextPageToken: string;
}

export interface StockLine {
  productId: string;
  quantity: number;
}

export type ReserveOutcome =
  | { kind: 'reserved'; products: Product[] }
  | { kind: 'insufficient_stock'; productId: string }
  | { kind: 'unknown_product'; productId: string };

/** Storage for products and reservations; reads may come from a cache and replicas. */
export interface ProductRepository {
  insert(product: NewProduct, deadline: number): Promise<Product>;
  findById(id: string, deadline: number): Promise<Product | undefined>;
  findByIds(ids: readonly string[], deadline: number): Promise<Map<string, Product>>;
  list(filter: ProductFilter, page: PageRequest, deadline: number): Promise<ProductPage>;
  update(id: string, changes: ProductChanges, deadline: number): Promise<Product | undefined>;
  softDelete(id: string, deadline: number): Promise<boolean>;
  /** All lines or none; the same order id twice returns the first result without reserving again. */
  reserve(orderId: string, lines: readonly StockLine[], deadline: number): Promise<ReserveOutcome>;
  /** True when this call released the reservation. */
  release(orderId: string, deadline: number): Promise<boolean>;
}
