import { Redis } from 'ioredis';
import postgres from 'postgres';
import { parseId, ShardMap, shardOfId } from '@tessera/data';

/**
 * The data both baselines read, the way a plain service would: products
 * cache-aside in Redis (one GET; on a miss, Postgres and a SET with a TTL),
 * orders by id from the shard's streaming replica. No deadlines, no metrics,
 * no auth: the floor that Tessera's features are measured against.
 */
export interface BaselineData {
  product(prefixedId: string): Promise<Record<string, unknown> | undefined>;
  order(prefixedId: string): Promise<Record<string, unknown> | undefined>;
  close(): Promise<void>;
}

interface Cluster {
  name: string;
  primary: string;
  replicas: string[];
}

export function baselineData(env: NodeJS.ProcessEnv, keyPrefix: string): BaselineData {
  const redis = new Redis(env.BENCH_REDIS_URL!, { maxRetriesPerRequest: 1 });
  const catalog = postgres((JSON.parse(env.BENCH_CATALOG_DB!) as Cluster[])[0]!.primary, { max: 10, onnotice: () => undefined });
  const orderClusters = JSON.parse(env.BENCH_ORDERS_DB!) as Cluster[];
  const shardMap = ShardMap.even(orderClusters.map((c) => c.name));
  const replicas = new Map(orderClusters.map((c) => [c.name, postgres(c.replicas[0] ?? c.primary, { max: 10, onnotice: () => undefined })]));
  return {
    async product(prefixedId) {
      const id = parseId('product', prefixedId);
      const cached = await redis.get(`${keyPrefix}:product:${id}`);
      if (cached) return JSON.parse(cached) as Record<string, unknown>;
      const [row] = await catalog`select id::text, name, description, price_minor::text, currency, stock, created_at, updated_at from products where id = ${id} and deleted_at is null`;
      if (!row) return undefined;
      const product = { id: prefixedId, name: row.name, description: row.description, price: { amount_minor: Number(row.price_minor), currency: row.currency }, stock: row.stock, created_at: row.created_at, updated_at: row.updated_at };
      await redis.set(`${keyPrefix}:product:${id}`, JSON.stringify(product), 'EX', 300);
      return product;
    },
    async order(prefixedId) {
      const id = parseId('order', prefixedId);
      const sql = replicas.get(shardMap.clusterOf(shardOfId(id)))!;
      const [row] = await sql`select id::text, user_id::text, status, items, total_minor::text, currency, payment_method, created_at, updated_at from orders where id = ${id}`;
      if (!row) return undefined;
      return { id: prefixedId, status: row.status, items: row.items, total: { amount_minor: Number(row.total_minor), currency: row.currency }, payment_method: row.payment_method, created_at: row.created_at, updated_at: row.updated_at };
    },
    async close() {
      redis.disconnect();
      await Promise.all([catalog.end(), ...[...replicas.values()].map((s) => s.end())]);
    },
  };
}
