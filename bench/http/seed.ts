import { randomUUID } from 'node:crypto';

export interface Credentials {
  email: string;
  password: string;
}

export interface BenchData {
  products: string[];
  /** Orders of `reader`. */
  orders: string[];
  reader: Credentials;
  /** Places the W3 orders. */
  buyer: Credentials;
}

async function call(base: string, method: string, path: string, body?: unknown, token?: string, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

export async function login(base: string, who: Credentials): Promise<string> {
  return (await call(base, 'POST', '/api/v2/auth/login', who)).access_token as string;
}

/** Runs `count` jobs, `concurrency` at a time. */
async function inParallel<T>(count: number, concurrency: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await job(i);
      }
    }),
  );
  return out;
}

/** Products (as the admin), a reader with orders, and a buyer, all through the REST API. */
export async function seedBenchData(base: string, admin: Credentials, counts: { products: number; orders: number }): Promise<BenchData> {
  const adminToken = await login(base, admin);
  const run = randomUUID().slice(0, 8);
  const products = await inParallel(counts.products, 16, async (i) =>
    (await call(base, 'POST', '/api/v2/products', { name: `Bench product ${i}`, description: `Seeded by the HTTP bench (${run})`, price: { amount_minor: 100 + i, currency: 'USD' }, stock: 1_000_000_000 }, adminToken)).id as string,
  );
  const user = async (name: string): Promise<Credentials> => {
    const who = { email: `${name}-${run}@bench.tessera.local`, password: 'a long enough bench password' };
    await call(base, 'POST', '/api/v2/users', { ...who, display_name: name });
    return who;
  };
  const reader = await user('reader');
  const buyer = await user('buyer');
  const readerToken = await login(base, reader);
  const orders = await inParallel(counts.orders, 16, async (i) =>
    (await call(base, 'POST', '/api/v2/orders', { items: [{ product_id: products[i % products.length], quantity: 1 }], payment_method: 'pm_card_ok' }, readerToken, { 'idempotency-key': `seed-${run}-${i}` })).id as string,
  );
  return { products, orders, reader, buyer };
}
