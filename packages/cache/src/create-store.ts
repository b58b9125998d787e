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
