import type { Logger } from '@tessera/logging';
import { MemoryStore } from './memory-store';
import { RedisStore } from './redis-store';
import type { CacheStore } from './store';

/**
 * The store for a REDIS_URL: `redis://…` (one node), `redis-cluster://h1:p1,h2:p2`
 * (a Cluster), or `memory://` (in-process, when no Redis is available).
 */
export function createStore(url: string, namespace: string, commandTimeoutMs = 100): CacheStore {
  if (url === 'memory://') return new MemoryStore();
  if (!/^(redis|rediss|redis-cluster):\/\//.test(url)) throw new Error(`REDIS_URL must start with redis://, rediss://, redis-cluster:// or be memory:// (got ${url.split('@').pop()})`);
  return new RedisStore({ url, namespace, commandTimeoutMs });
}

/**
 * A service's cache store, opened at start: waits briefly for Redis and says
 * what it got (per-process memory, or Redis not reachable yet, in which case
 * lookups read through to the database until it is).
 */
export async function openStore(options: { url: string; namespace: string; commandTimeoutMs: number; logger: Logger }): Promise<CacheStore> {
  const store = createStore(options.url, options.namespace, options.commandTimeoutMs);
  if (options.url === 'memory://') options.logger.warn('REDIS_URL is memory://: each process caches on its own');
  else if (!(await store.ready(5_000))) options.logger.warn('redis is not reachable yet; reading through to the database until it is');
  return store;
}
