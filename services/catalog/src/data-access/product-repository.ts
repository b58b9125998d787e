import type { Sql } from 'postgres';
import type { Cache } from '@tessera/cache';
import { formatId, micros, olderThan, scatterGather, type ClusterDb, type PageRequest } from '@tessera/data';
import type { NewProduct, Product, ProductChanges, ProductFilter, ProductRepository, ReserveOutcome, StockLine } from '../domain/product';

interface ProductRow {
  id: string;
  name: string;
  description: string;
  price_minor: string;
  currency: string;
  stock: number;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id::text, name, description, price_minor::text, currency, stock, created_at, updated_at';

const toProduct = (row: ProductRow): Product => ({
  id: row.id,
  name: row.name,
  description: row.description,
  priceMinor: Number(row.price_minor),
  currency: row.currency,
  stock: row.stock,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** Products survive a JSON round trip through the cache with their Dates intact. */
export function decodeProduct(text: string): Product {
  const p = JSON.parse(text) as Product & { createdAt: string; updatedAt: string };
  return { ...p, createdAt: new Date(p.createdAt), updatedAt: new Date(p.updatedAt) };
}

const cacheKey = (id: string) => `product:${id}`;

/**
 * Products on the catalog cluster. Single reads go through the cache (the hot
 * path); writes invalidate after commit. Listings are filtered queries served
 * by a replica, not cached.
 */
/**
 * `changed` hears the prefixed ids of products whose stored form changed,
 * after commit (e.g. to tell other processes' copies to go).
 */
export function productRepository(db: ClusterDb, cache: Cache<Product>, changed: (ids: string[]) => void = () => undefined): ProductRepository {
  // After a commit: drop the shared cache entries, then tell copies elsewhere.
  const forget = async (ids: string[]) => {
    await cache.invalidate(...ids.map(cacheKey));
    changed(ids.map((id) => formatId('product', id)));
  };

  // Cache fills read the primary: a lagging replica could hand a fill the value
  // from before a write whose invalidation already ran, and the cache would
  // keep it for a whole TTL. Fills are rare (the cache absorbs the reads), so
  // the primary can take them.
  const load = (id: string, deadline: number) => async () => {
    const rows = await db.read((sql) => sql.unsafe<ProductRow[]>(`select ${COLUMNS} from products where id = $1 and deleted_at is null`, [id]), { deadline, consistency: 'primary-preferred' });
    return rows[0] && toProduct(rows[0]);
  };

  const findById = (id: string, deadline: number) => cache.get(cacheKey(id), load(id, deadline));

  return {
    async insert(product: NewProduct, deadline: number) {
      const { value } = await db.write(async (tx) => {
        const rows = await tx.unsafe<ProductRow[]>(
          `insert into products (id, name, description, price_minor, currency, stock)
           values (tessera_next_id(0), $1, $2, $3, $4, $5) returning ${COLUMNS}`,
          [product.name, product.description, product.priceMinor, product.currency, product.stock],
        );
        return toProduct(rows[0]!);
      }, { deadline });
      // A negative entry may exist if someone asked for this id before; ids are new, but be exact.
      await forget([value.id]);
      return value;
    },

    findById,

    async findByIds(ids, deadline) {
      const products = await Promise.all(ids.map((id) => findById(id, deadline)));
      return new Map(products.flatMap((p) => (p ? [[p.id, p] as const] : [])));
    },

    async list(filter: ProductFilter, page: PageRequest, deadline: number) {
      const where = (sql: Sql) => sql`
        deleted_at is null
        ${filter.query ? sql`and lower(name || ' ' || description) like ${`%${escapeLike(filter.query.toLowerCase())}%`}` : sql``}
        ${filter.minPriceMinor !== undefined ? sql`and price_minor >= ${filter.minPriceMinor}` : sql``}
        ${filter.maxPriceMinor !== undefined ? sql`and price_minor <= ${filter.maxPriceMinor}` : sql``}`;
      const result = await scatterGather(
        [db],
        (sql, after, limit) =>
          sql<(ProductRow & { micros: string })[]>`
            select id::text, name, description, price_minor::text, currency, stock, created_at, updated_at, ${micros(sql)} as micros
            from products where ${where(sql)} and ${olderThan(sql, after)}
            order by created_at desc, id desc limit ${limit}`,
        (row) => ({ createdAtMicros: BigInt(row.micros), id: BigInt(row.id) }),
        { page, read: { deadline } },
      );
      return { products: result.items.map(toProduct), nextPageToken: result.nextPageToken };
    },

    async update(id: string, changes: ProductChanges, deadline: number) {
      const { value } = await db.write(async (tx) => {
        const rows = await tx<ProductRow[]>`
          update products set
            name = coalesce(${changes.name ?? null}, name),
            description = coalesce(${changes.description ?? null}, description),
            price_minor = coalesce(${changes.priceMinor ?? null}::bigint, price_minor),
            currency = coalesce(${changes.currency ?? null}, currency),
            stock = coalesce(${changes.stock ?? null}::int, stock),
            updated_at = now()
          where id = ${id} and deleted_at is null
          returning id::text, name, description, price_minor::text, currency, stock, created_at, updated_at`;
        return rows[0] && toProduct(rows[0]);
      }, { deadline });
      await forget([id]);
      return value;
    },

    async softDelete(id: string, deadline: number) {
      const { value } = await db.write(async (tx) => (await tx`update products set deleted_at = now() where id = ${id} and deleted_at is null`).count === 1, { deadline });
      await forget([id]);
      return value;
    },

    async reserve(orderId: string, lines: readonly StockLine[], deadline: number) {
      const { value } = await db.write(async (tx): Promise<ReserveOutcome & { touched: string[] }> => {
        const claimed = await tx`insert into reservations (order_id) values (${orderId}) on conflict (order_id) do nothing`;
        if (claimed.count === 0) {
          // Reserved before: answer as the first time, with the prices then.
          const rows = await tx<(ProductRow & { unit_price_minor: string; line_currency: string })[]>`
            select p.id::text, p.name, p.description, l.unit_price_minor::text as price_minor, l.currency, p.stock, p.created_at, p.updated_at
            from reservation_lines l join products p on p.id = l.product_id where l.order_id = ${orderId} order by l.product_id`;
          return { kind: 'reserved', products: rows.map(toProduct), touched: [] };
        }
        const products: Product[] = [];
        // Lock rows in one global order (by id) so concurrent multi-line reservations cannot deadlock.
        for (const line of [...lines].sort((a, b) => (BigInt(a.productId) < BigInt(b.productId) ? -1 : 1))) {
          // Take the stock and record the line at its current price, in one statement.
          const rows = await tx<ProductRow[]>`
            with taken as (
              update products set stock = stock - ${line.quantity}, updated_at = now()
              where id = ${line.productId} and deleted_at is null and stock >= ${line.quantity}
              returning id, name, description, price_minor, currency, stock, created_at, updated_at
            ), recorded as (
              insert into reservation_lines (order_id, product_id, quantity, unit_price_minor, currency)
              select ${orderId}, id, ${line.quantity}, price_minor, currency from taken
            )
            select id::text, name, description, price_minor::text, currency, stock, created_at, updated_at from taken`;
          if (rows.length === 0) {
            const exists = await tx`select 1 from products where id = ${line.productId} and deleted_at is null`;
            // Throwing rolls back the claim and every line reserved so far.
            throw new ReserveRejected(exists.length === 0 ? { kind: 'unknown_product', productId: line.productId } : { kind: 'insufficient_stock', productId: line.productId });
          }
          products.push(toProduct(rows[0]!));
        }
        return { kind: 'reserved', products, touched: products.map((p) => p.id) };
      }, { deadline, token: false }).catch((error: unknown) => {
        if (error instanceof ReserveRejected) return { value: { ...error.outcome, touched: [] as string[] }, token: '' };
        throw error;
      });
      if (value.touched.length > 0) await forget(value.touched);
      const { touched: _touched, ...outcome } = value;
      return outcome;
    },

    async release(orderId: string, deadline: number) {
      const { value: touched } = await db.write(async (tx) => {
        const released = await tx`update reservations set released_at = now() where order_id = ${orderId} and released_at is null`;
        if (released.count === 0) return [];
        const rows = await tx<{ id: string }[]>`
          update products p set stock = p.stock + l.quantity, updated_at = now()
          from reservation_lines l where l.order_id = ${orderId} and l.product_id = p.id
          returning p.id::text`;
        return rows.map((r) => r.id);
      }, { deadline, token: false });
      if (touched.length > 0) await forget(touched);
      return touched.length > 0;
    },
  };
}

class ReserveRejected extends Error {
  constructor(readonly outcome: Exclude<ReserveOutcome, { kind: 'reserved' }>) {
    super(outcome.kind);
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
