import type { Cluster, Redis } from 'ioredis';
import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';

// INCR and set the window on the first hit, in one round trip. EVAL (not
// SCRIPT LOAD + EVALSHA) so that on Redis Cluster the script always runs on
// the node that owns the key.
const INCREMENT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return { hits, ttl }`;

/**
 * A fixed-window counter shared by every edge replica. Written for ioredis
 * (single node or Cluster) because rate-limit-redis loads its script without a
 * key, which on a Cluster may land on another node than the one that runs it.
 */
export class RedisRateLimitStore implements Store {
  private windowMs = 60_000;
  readonly localKeys = false;

  constructor(
    private readonly redis: Redis | Cluster,
    readonly prefix: string,
    /** Called when Redis fails; the request then passes (fail-open: availability first, the ingress still limits per IP). */
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    try {
      const [hits, ttl] = (await this.redis.eval(INCREMENT, 1, this.key(key), String(this.windowMs))) as [number, number];
      return { totalHits: hits, resetTime: new Date(Date.now() + ttl) };
    } catch (error) {
      this.onError(error);
      // Counted as a first hit: never over any limit.
      return { totalHits: 1, resetTime: new Date(Date.now() + this.windowMs) };
    }
  }

  async decrement(key: string): Promise<void> {
    await this.redis.decr(this.key(key)).catch(this.onError);
  }

  async resetKey(key: string): Promise<void> {
    await this.redis.del(this.key(key));
  }

  private key(key: string): string {
    return `${this.prefix}{${key}}`;
  }
}
