/**
 * The campaign's bounded load: a few signed-in buyers on both shards placing
 * orders (each with its own Idempotency-Key) and reading them back, and
 * anonymous product reads. Every operation is recorded with when it started
 * and ended and what came back, so the report can say what each fault did.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseId, shardOfId, ShardMap } from '@tessera/data';

export type OpKind = 'order' | 'read-order' | 'read-product';

/**
 * ok: acknowledged. fail: definitely not done (a 4xx; a refused read).
 * indeterminate: a write whose outcome the client cannot know (5xx, timeout,
 * connection lost): it is retried with its key after the campaign.
 */
export type Outcome = 'ok' | 'fail' | 'indeterminate';

export interface Op {
  kind: OpKind;
  /** Which buyer (index), and the shard that buyer's data lives on. */
  buyer: number;
  cluster: string;
  startedAt: number;
  endedAt: number;
  /** HTTP status, or 0 when no answer came (connection refused or lost, timeout). */
  status: number;
  /** The network error's code when status is 0 (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET, TimeoutError). */
  error?: string;
  outcome: Outcome;
  /** Writes: the Idempotency-Key and body, to retry; the order the answer named. */
  key?: string;
  body?: string;
  orderId?: string;
  orderStatus?: string;
  /** A 503 that says it was shed (Retry-After present). */
  shed?: boolean;
  /** Sent again once after its connection was reset before any answer (see `call`). */
  retried?: boolean;
}

export interface Buyer {
  email: string;
  password: string;
  userId: string;
  cluster: string;
  token: string;
  orders: string[];
}

export interface World {
  base: string;
  buyers: Buyer[];
  products: string[];
  /** Stock each campaign product started with. */
  initialStock: number;
}

/** The budget a request may take at the edge is 10 s; past this the client gives up (indeterminate). */
const CLIENT_TIMEOUT_MS = 15_000;
const SHARDS = ShardMap.even(['shard-a', 'shard-b']);

/**
 * An HTTP/1.1 server that closes an idle keep-alive connection (a draining
 * edge does) can race a client that is sending on it at that instant: the
 * request fails with the connection reset before any answer. Clients are
 * expected to retry then (RFC 9112 §9.3.1; browsers and proxies do for
 * idempotent requests, and every write here carries an Idempotency-Key), so
 * this client retries such a request once, at once, and says so.
 */
const RESET_BEFORE_ANSWER = new Set(['ECONNRESET', 'UND_ERR_SOCKET']);

export async function call(base: string, method: string, path: string, options: { body?: string; token?: string; key?: string } = {}): Promise<{ status: number; error?: string; json?: Record<string, unknown>; retryAfter?: string | null; retried?: boolean }> {
  const first = await callOnce(base, method, path, options);
  if (first.status !== 0 || !RESET_BEFORE_ANSWER.has(first.error ?? '')) return first;
  return { ...(await callOnce(base, method, path, options)), retried: true };
}

async function callOnce(base: string, method: string, path: string, options: { body?: string; token?: string; key?: string }): Promise<{ status: number; error?: string; json?: Record<string, unknown>; retryAfter?: string | null }> {
  try {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(options.body ? { 'content-type': 'application/json' } : {}),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.key ? { 'idempotency-key': options.key } : {}),
      },
      ...(options.body ? { body: options.body } : {}),
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    });
    const text = await res.text();
    let json: Record<string, unknown> | undefined;
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, retryAfter: res.headers.get('retry-after') };
  } catch (error) {
    const e = error as { name?: string; cause?: { code?: string }; code?: string };
    return { status: 0, error: e.name === 'TimeoutError' ? 'TimeoutError' : (e.cause?.code ?? e.code ?? e.name ?? 'error') };
  }
}

async function must(base: string, method: string, path: string, options: { body?: unknown; token?: string } = {}): Promise<Record<string, unknown>> {
  const res = await call(base, method, path, { ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }), ...(options.token ? { token: options.token } : {}) });
  if (res.status < 200 || res.status >= 300) throw new Error(`${method} ${path} answered ${res.status || res.error}: ${JSON.stringify(res.json)}`);
  return res.json ?? {};
}

export async function login(base: string, who: { email: string; password: string }): Promise<string> {
  return (await must(base, 'POST', '/api/v2/auth/login', { body: who })).access_token as string;
}

/** Campaign products (as the admin) and `perShard` buyers on each shard, through the REST API. */
export async function prepareWorld(base: string, admin: { email: string; password: string }, perShard: number): Promise<World> {
  const run = randomUUID().slice(0, 8);
  const adminToken = await login(base, admin);
  const initialStock = 1_000_000;
  const products: string[] = [];
  for (let i = 0; i < 4; i++) {
    products.push((await must(base, 'POST', '/api/v2/products', { token: adminToken, body: { name: `Chaos product ${i} (${run})`, price: { amount_minor: 500 + i, currency: 'USD' }, stock: initialStock } })).id as string);
  }
  const buyers: Buyer[] = [];
  const count = { 'shard-a': 0, 'shard-b': 0 } as Record<string, number>;
  // Users land on a shard by their id; sign up until both shards have their share.
  for (let i = 0; Object.values(count).some((n) => n < perShard); i++) {
    if (i > perShard * 20) throw new Error('could not place buyers on both shards');
    const who = { email: `chaos-${run}-${i}@chaos.tessera.local`, password: 'a long chaos campaign password' };
    const user = await must(base, 'POST', '/api/v2/users', { body: { ...who, display_name: `Chaos buyer ${i}` } });
    const userId = parseId('user', user.id);
    const cluster = SHARDS.clusterOf(shardOfId(userId));
    if (count[cluster]! >= perShard) continue;
    count[cluster]!++;
    buyers.push({ ...who, userId, cluster, token: await login(base, who), orders: [] });
  }
  return { base, buyers, products, initialStock };
}

/** One operation of the mix, recorded. */
async function operate(world: World, buyerIndex: number, kind: OpKind): Promise<Op> {
  const buyer = world.buyers[buyerIndex]!;
  const startedAt = Date.now();
  const base = { kind, buyer: buyerIndex, cluster: buyer.cluster, startedAt };
  if (kind === 'order') {
    const key = randomUUID();
    const product = world.products[Math.floor(Math.random() * world.products.length)]!;
    const body = JSON.stringify({ items: [{ product_id: product, quantity: 1 + Math.floor(Math.random() * 3) }], payment_method: 'pm_card_ok' });
    const res = await call(world.base, 'POST', '/api/v2/orders', { body, token: buyer.token, key });
    const ok = res.status === 201 || res.status === 200;
    if (ok) buyer.orders.push(res.json!.id as string);
    const outcome: Outcome = ok ? 'ok' : res.status >= 400 && res.status < 500 ? 'fail' : 'indeterminate';
    return { ...base, endedAt: Date.now(), status: res.status, ...(res.error ? { error: res.error } : {}), outcome, key, body, ...(ok ? { orderId: res.json!.id as string, orderStatus: res.json!.status as string } : {}), ...(res.status === 503 && res.retryAfter ? { shed: true } : {}), ...(res.retried ? { retried: true } : {}) };
  }
  const path = kind === 'read-order' && buyer.orders.length ? `/api/v2/orders/${buyer.orders[Math.floor(Math.random() * buyer.orders.length)]}` : `/api/v2/products/${world.products[Math.floor(Math.random() * world.products.length)]}`;
  const res = await call(world.base, 'GET', path, kind === 'read-order' ? { token: buyer.token } : {});
  return { ...base, endedAt: Date.now(), status: res.status, ...(res.error ? { error: res.error } : {}), outcome: res.status === 200 ? 'ok' : 'fail', ...(res.status === 503 && res.retryAfter ? { shed: true } : {}), ...(res.retried ? { retried: true } : {}) };
}

const pickKind = (): OpKind => {
  const r = Math.random();
  return r < 0.35 ? 'order' : r < 0.7 ? 'read-order' : 'read-product';
};

/**
 * `connections` loops, each doing one operation after another until `until()`
 * says stop; every op goes to `record`. Loops pause briefly after a failure
 * so a down service is not hammered by the campaign itself.
 */
export async function drive(world: World, connections: number, until: () => boolean, record: (op: Op) => void): Promise<void> {
  await Promise.all(
    Array.from({ length: connections }, async (_, i) => {
      while (!until()) {
        const op = await operate(world, i % world.buyers.length, pickKind());
        record(op);
        if (op.outcome !== 'ok') await sleep(50);
      }
    }),
  );
}
