import type { Cluster, Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';

// Grants up to ARGV[1] hits of the window's budget ARGV[2], never more than is
// left, and returns { granted, count after }. EVAL with the key (not SCRIPT
// LOAD + EVALSHA) so that on Redis Cluster it runs on the node owning the key.
const LEASE = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local grant = math.min(tonumber(ARGV[1]), tonumber(ARGV[2]) - current)
if grant <= 0 then return { 0, current } end
current = redis.call('INCRBY', KEYS[1], grant)
if current == grant then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return { grant, current }`;

export interface LimitDecision {
  allowed: boolean;
  limit: number;
  /** Hits left in this window, as far as this process knows. */
  remaining: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
}

interface KeyState {
  window: number;
  /** Hits leased from the shared budget by this process, and how many it used. */
  leased: number;
  used: number;
  /** The shared count after this process's last lease. */
  shared: number;
  exhausted: boolean;
  pending?: Promise<void> | undefined;
}

/** How many hits one lease takes: small against the limit (little is stranded), large enough to spare Redis. */
export function leaseSize(limit: number): number {
  return Math.max(1, Math.min(100, Math.ceil(limit / 50)));
}

/**
 * A fixed-window limit shared by every edge replica without a Redis round
 * trip per request: each process leases hits from the window's shared budget
 * in small batches (one EVAL per `leaseSize(limit)` hits of a key) and spends
 * them locally. Redis never grants beyond the limit, so across N edges the
 * limit is never exceeded (over-admission 0). An edge fetches its next lease
 * when half of the current one is left, so it holds at most 1.5 leases
 * unspent; hits leased but unspent by other edges are lost to a key, so at
 * most (N−1)·⌊1.5·leaseSize⌋ requests per key and window are refused early. Windows are aligned on the clock (floor(now/window)),
 * so every edge agrees on them without asking.
 *
 * When Redis fails, leases are granted from a per-process budget of the same
 * limit (counted in `onStoreError`): each edge then enforces the limit on its
 * own, instead of failing open.
 */
export class SharedRateLimiter {
  private readonly states = new LRUCache<string, KeyState>({ max: 100_000 });

  constructor(
    private readonly o: {
      windowMs: number;
      redis: Redis | Cluster | undefined;
      /** Key prefix of the shared counters (edges that share quotas share it). */
      prefix: string;
      onStoreError: (error: unknown) => void;
      now?: () => number;
    },
  ) {}

  async take(key: string, limit: number): Promise<LimitDecision> {
    const now = (this.o.now ?? Date.now)();
    const window = Math.floor(now / this.o.windowMs);
    const resetMs = (window + 1) * this.o.windowMs - now;
    let state = this.states.get(key);
    if (!state || state.window !== window) {
      state = { window, leased: 0, used: 0, shared: 0, exhausted: false };
      this.states.set(key, state);
    }
    const s = state;
    const lease = () => (s.pending ??= this.lease(key, s, limit).finally(() => (s.pending = undefined)));
    for (;;) {
      if (s.used < s.leased) {
        s.used++;
        // Half a lease left: fetch the next one now, so no request waits on Redis for it.
        if (s.leased - s.used < leaseSize(limit) / 2 && !s.exhausted) void lease().catch(() => undefined);
        return { allowed: true, limit, remaining: Math.max(0, limit - s.shared + (s.leased - s.used)), resetMs };
      }
      if (s.exhausted) return { allowed: false, limit, remaining: 0, resetMs };
      await lease();
    }
  }

  /**
   * A refusal, without spending a hit, when this process already knows the
   * key's budget for the window is gone; undefined otherwise (the next `take`
   * decides).
   */
  refusing(key: string, limit: number): LimitDecision | undefined {
    const now = (this.o.now ?? Date.now)();
    const window = Math.floor(now / this.o.windowMs);
    const s = this.states.get(key);
    // Spent here, and the shared count (as of this process's last lease) is at the limit.
    if (!s || s.window !== window || s.used < s.leased || (!s.exhausted && s.shared < limit)) return undefined;
    return { allowed: false, limit, remaining: 0, resetMs: (window + 1) * this.o.windowMs - now };
  }

  private async lease(key: string, state: KeyState, limit: number): Promise<void> {
    const size = leaseSize(limit);
    let granted: number;
    let shared: number;
    try {
      if (!this.o.redis) throw new Error('no shared store configured');
      [granted, shared] = (await this.o.redis.eval(LEASE, 1, `${this.o.prefix}{${key}}:${state.window}`, size, limit, this.o.windowMs * 2)) as [number, number];
    } catch (error) {
      if (this.o.redis) this.o.onStoreError(error);
      // Per-process budget: what this process alone has leased in the window.
      granted = Math.max(0, Math.min(size, limit - state.leased));
      shared = state.leased + granted;
    }
    state.leased += granted;
    state.shared = Math.max(state.shared, shared);
    if (granted === 0) state.exhausted = true;
  }
}

/** RFC-draft RateLimit headers (draft-ietf-httpapi-ratelimit-headers-08), as express-rate-limit's 'draft-8' writes them. */
export function rateLimitHeaders(policy: string, windowMs: number, d: LimitDecision): Record<string, string> {
  const reset = Math.max(1, Math.ceil(d.resetMs / 1000));
  return {
    'ratelimit-policy': `"${policy}";q=${d.limit};w=${Math.round(windowMs / 1000)}`,
    ratelimit: `"${policy}";r=${d.remaining};t=${reset}`,
    ...(d.allowed ? {} : { 'retry-after': String(reset) }),
  };
}
