/**
 * Where cache entries live. Redis (single node or Cluster) in production; an
 * in-process map when no Redis is configured (the local runner without
 * redis-server). Both give the same lease semantics.
 */
export interface CacheStore {
  get(key: string): Promise<string | null>;
  /** Takes the load lease for `key` if nobody holds it. */
  acquireLease(key: string, token: string, leaseMs: number): Promise<boolean>;
  /** Stores the value only while `token` still holds the lease (an invalidation since then removed it), and releases it. */
  setIfLeaseHeld(key: string, token: string, value: string, ttlMs: number): Promise<boolean>;
  /** Deletes values and their leases, so a load that started earlier cannot store its old value. */
  invalidate(keys: readonly string[]): Promise<void>;
  /** Remaining time to live in ms, or -2 when absent (for tests and debugging). */
  ttl(key: string): Promise<number>;
  /** Resolves true once connected, false after `timeoutMs`; the cache works either way (it bypasses a store that is not there). */
  ready(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}
