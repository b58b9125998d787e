import type { CacheStore } from './store';

interface Item {
  value: string;
  expiresAt: number;
}

/**
 * The same contract in process memory, bounded by `maxEntries` (oldest first
 * out). For running without Redis; each process then has its own cache, so
 * the cross-process lease only spans one process.
 */
export class MemoryStore implements CacheStore {
  private readonly values = new Map<string, Item>();
  private readonly leases = new Map<string, Item>();

  constructor(private readonly maxEntries = 10_000) {}

  private live(map: Map<string, Item>, key: string): Item | undefined {
    const item = map.get(key);
    if (item && item.expiresAt <= Date.now()) {
      map.delete(key);
      return undefined;
    }
    return item;
  }

  async get(key: string): Promise<string | null> {
    return this.live(this.values, key)?.value ?? null;
  }

  async acquireLease(key: string, token: string, leaseMs: number): Promise<boolean> {
    if (this.live(this.leases, key)) return false;
    this.leases.set(key, { value: token, expiresAt: Date.now() + leaseMs });
    return true;
  }

  async setIfLeaseHeld(key: string, token: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.live(this.leases, key)?.value !== token) return false;
    this.leases.delete(key);
    this.values.delete(key);
    this.values.set(key, { value, expiresAt: Date.now() + ttlMs });
    if (this.values.size > this.maxEntries) this.values.delete(this.values.keys().next().value!);
    return true;
  }

  async invalidate(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      this.values.delete(key);
      this.leases.delete(key);
    }
  }

  async ttl(key: string): Promise<number> {
    const item = this.live(this.values, key);
    return item ? item.expiresAt - Date.now() : -2;
  }

  async ready(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.values.clear();
    this.leases.clear();
  }
}
