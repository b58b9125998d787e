import { traced } from '@tessera/tracing';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { circuitBreaker, CircuitState, ConsecutiveBreaker, handleAll, type CircuitBreakerPolicy } from 'cockatiel';
import type { Registry } from 'prom-client';
import { cacheMetrics, type CacheMetrics } from './cache-metrics';
import type { CacheStore } from './store';

export interface CacheOptions {
  /** Names the cache in metrics ("products", "api-keys"). */
  name: string;
  store: CacheStore;
  registry: Registry;
  ttlMs: number;
  /** TTL of "this does not exist" entries; shorter, so a created object shows up soon. */
  negativeTtlMs?: number;
  /** TTLs are spread by ±jitter (0.2 = ±20%), so keys written together do not expire together. */
  jitter?: number;
  /** How long the process that won the load lease may take before others load too. */
  leaseMs?: number;
  /** How long a process that lost the lease waits for the winner's value before loading itself. */
  lockWaitMs?: number;
  /** XFetch's β: above 1 refreshes earlier, below later; 0 turns early refresh off. */
  beta?: number;
  /** Consecutive store failures that open the breaker, and how long it stays open. */
  breakerThreshold?: number;
  breakerOpenMs?: number;
  /** Values to and from strings; JSON by default (override to revive Dates). */
  encode?: (value: unknown) => string;
  decode?: (text: string) => unknown;
  /**
   * A secret for HMAC-SHA256 over each stored entry and its key: an entry
   * that does not verify (written by anyone but a holder of the secret, or
   * moved to another key) is ignored as a miss and counted as `forged`. Use it
   * where a value grants something (principals, roles), so write access to
   * Redis is not the power to mint them.
   */
  integrityKey?: Buffer;
}

interface Entry {
  /** Encoded value; absent for a negative entry. */
  v?: string;
  /** How long the load took, ms (XFetch's δ). */
  d: number;
  /** Logical expiry, epoch ms. */
  e: number;
}

const BREAKER_GAUGE: Record<CircuitState, number> = { [CircuitState.Closed]: 0, [CircuitState.Open]: 1, [CircuitState.HalfOpen]: 2, [CircuitState.Isolated]: 1 };

/**
 * Cache-aside with the protections a hot key needs:
 * - single-flight: concurrent lookups of one key in a process share one Redis
 *   round trip and at most one load;
 * - a load lease in the store, so many processes missing the same key cause
 *   about one load (the others wait briefly for its value);
 * - XFetch early refresh (Vattani et al., VLDB 2015): a hot key is reloaded in
 *   the background shortly before it expires, with a probability that grows
 *   as expiry nears and with the cost of the load;
 * - TTL jitter and negative caching;
 * - stale-set protection: `invalidate()` (call it after commit) deletes the
 *   value and the lease, and a load only stores its value while it still holds
 *   its lease, so a load that read before a write cannot put the old value back;
 * - a circuit breaker over the store: a dead or paused Redis costs one command
 *   timeout per lookup until the breaker opens, then nothing; lookups always
 *   fall back to the loader. Nothing is lost: Redis only ever holds copies.
 */
export class Cache<T> {
  private readonly inFlight = new Map<string, Promise<T | undefined>>();
  private readonly refreshing = new Set<string>();
  /** Stores in progress: a key stays single-flighted until its value is in the store, so the next lookup finds it. */
  private readonly storing = new Map<string, Promise<unknown>>();
  private readonly breaker: CircuitBreakerPolicy;
  private readonly metrics: CacheMetrics;
  private readonly o: Required<Omit<CacheOptions, 'store' | 'registry' | 'integrityKey'>>;

  constructor(private readonly options: CacheOptions) {
    this.o = {
      negativeTtlMs: Math.min(30_000, options.ttlMs),
      jitter: 0.2,
      leaseMs: 2_000,
      lockWaitMs: 250,
      beta: 1,
      breakerThreshold: 5,
      breakerOpenMs: 2_000,
      encode: (v) => JSON.stringify(v),
      decode: (t) => JSON.parse(t) as unknown,
      ...options,
    };
    this.metrics = cacheMetrics(options.registry);
    this.breaker = circuitBreaker(handleAll, { halfOpenAfter: this.o.breakerOpenMs, breaker: new ConsecutiveBreaker(this.o.breakerThreshold) });
    this.metrics.breakerState.set({ cache: options.name }, 0);
    this.breaker.onStateChange((state) => this.metrics.breakerState.set({ cache: options.name }, BREAKER_GAUGE[state]));
  }

  /** The value for `key`: from the cache, else from `load` (undefined means "does not exist" and is cached briefly too). */
  get(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const lookup = this.lookup(key, load);
    this.inFlight.set(key, lookup);
    const done = async () => {
      await this.storing.get(key);
      if (this.inFlight.get(key) === lookup) this.inFlight.delete(key);
    };
    lookup.then(done, done);
    return lookup;
  }

  /**
   * Forget keys after the write that changed them has committed. Lookups that
   * start afterwards load afresh; loads already running will not store.
   */
  async invalidate(...keys: string[]): Promise<void> {
    for (const key of keys) this.inFlight.delete(key);
    try {
      await this.store((s) => s.invalidate(keys), 'invalidate');
    } catch {
      // The store is unreachable: entries expire by TTL. Counted in cache_errors_total.
    }
  }

  /** Remaining TTL of a key in the store (tests, debugging). */
  ttl(key: string): Promise<number> {
    return this.options.store.ttl(key);
  }

  private async lookup(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const name = this.options.name;
    let raw: string | null;
    try {
      raw = await this.store((s) => s.get(key), 'get');
    } catch {
      this.metrics.requests.inc({ cache: name, result: 'bypass' });
      return this.load(load, 'redis_error');
    }
    const entry = raw === null ? undefined : this.parse(key, raw);
    if (raw !== null && !entry) this.metrics.requests.inc({ cache: name, result: 'forged' });
    if (entry) {
      this.metrics.requests.inc({ cache: name, result: entry.v === undefined ? 'negative_hit' : 'hit' });
      if (this.shouldRefreshEarly(entry)) void this.refresh(key, load);
      return entry.v === undefined ? undefined : (this.o.decode(entry.v) as T);
    }
    if (raw === null) this.metrics.requests.inc({ cache: name, result: 'miss' });
    return this.loadUnderLease(key, load);
  }

  /** The stored form of an entry: `mac.json` when entries are authenticated, the JSON alone otherwise. */
  private seal(key: string, json: string): string {
    return this.options.integrityKey ? `${this.mac(key, json)}.${json}` : json;
  }

  /** The entry, or undefined when it does not verify (or is not an entry at all). */
  private parse(key: string, raw: string): Entry | undefined {
    let json = raw;
    if (this.options.integrityKey) {
      const dot = raw.indexOf('.');
      if (dot < 0) return undefined;
      const [mac, expected] = [Buffer.from(raw.slice(0, dot)), Buffer.from(this.mac(key, raw.slice(dot + 1)))];
      if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return undefined;
      json = raw.slice(dot + 1);
    }
    try {
      return JSON.parse(json) as Entry;
    } catch {
      return undefined;
    }
  }

  private mac(key: string, json: string): string {
    return createHmac('sha256', this.options.integrityKey!).update(this.options.name).update('\n').update(key).update('\n').update(json).digest('base64url');
  }

  private async loadUnderLease(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const token = randomBytes(12).toString('base64url');
    let leased: boolean;
    try {
      leased = await this.store((s) => s.acquireLease(key, token, this.o.leaseMs), 'lease');
    } catch {
      return this.load(load, 'redis_error');
    }
    if (leased) return this.loadAndStore(key, token, load, 'miss');
    return this.waitForOtherLoader(key, load);
  }

  /** Another process holds the lease and is loading: poll for its value briefly, then load ourselves (without storing). */
  private async waitForOtherLoader(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const name = this.options.name;
    const deadline = Date.now() + this.o.lockWaitMs;
    for (let delay = 5; Date.now() < deadline; delay = Math.min(delay * 2, 50)) {
      await new Promise((r) => setTimeout(r, delay));
      let raw: string | null;
      try {
        raw = await this.store((s) => s.get(key), 'get');
      } catch {
        break;
      }
      const entry = raw === null ? undefined : this.parse(key, raw);
      if (entry) {
        this.metrics.lockWaits.inc({ cache: name, outcome: 'value_arrived' });
        return entry.v === undefined ? undefined : (this.o.decode(entry.v) as T);
      }
    }
    this.metrics.lockWaits.inc({ cache: name, outcome: 'timed_out' });
    return this.load(load, 'lease_wait_timeout');
  }

  private async loadAndStore(key: string, token: string, load: () => Promise<T | undefined>, reason: string): Promise<T | undefined> {
    const started = Date.now();
    const value = await this.load(load, reason);
    const delta = Date.now() - started;
    const ttl = this.jittered(value === undefined ? this.o.negativeTtlMs : this.o.ttlMs);
    const entry: Entry = value === undefined ? { d: delta, e: Date.now() + ttl } : { v: this.o.encode(value), d: delta, e: Date.now() + ttl };
    // Not awaited: the caller has its value; a slow or paused store must not delay it.
    const stored = this.store((s) => s.setIfLeaseHeld(key, token, this.seal(key, JSON.stringify(entry)), ttl), 'set').catch(() => undefined);
    this.storing.set(key, stored);
    void stored.then(() => {
      if (this.storing.get(key) === stored) this.storing.delete(key);
    });
    return value;
  }

  private async refresh(key: string, load: () => Promise<T | undefined>): Promise<void> {
    if (this.refreshing.has(key)) return;
    this.refreshing.add(key);
    try {
      const token = randomBytes(12).toString('base64url');
      if (await this.store((s) => s.acquireLease(key, token, this.o.leaseMs), 'lease')) await this.loadAndStore(key, token, load, 'early_refresh');
    } catch {
      // Best effort: the entry still serves until it expires.
    } finally {
      this.refreshing.delete(key);
    }
  }

  /** XFetch: refresh when now − δ·β·ln(rand) ≥ expiry. */
  private shouldRefreshEarly(entry: Entry): boolean {
    if (this.o.beta <= 0) return false;
    return Date.now() - entry.d * this.o.beta * Math.log(Math.random()) >= entry.e;
  }

  private jittered(ttlMs: number): number {
    return Math.max(1, Math.round(ttlMs * (1 + this.o.jitter * (2 * Math.random() - 1))));
  }

  private load(load: () => Promise<T | undefined>, reason: string): Promise<T | undefined> {
    this.metrics.loads.inc({ cache: this.options.name, reason });
    return load();
  }

  private async store<R>(fn: (store: CacheStore) => Promise<R>, op: string): Promise<R> {
    try {
      return await traced(`redis ${op}`, { 'db.system.name': 'redis', 'tessera.cache': this.options.name }, () => this.breaker.execute(() => fn(this.options.store)));
    } catch (error) {
      this.metrics.errors.inc({ cache: this.options.name, op });
      throw error;
    }
  }
}
