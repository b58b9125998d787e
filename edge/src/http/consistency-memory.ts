import type { Cluster, Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { mergeTokens, parseTokens, formatToken } from '@tessera/data';

/**
 * Remembers each principal's latest write tokens for a few seconds, so a
 * client that sends no X-Consistency-Token still reads its own writes — on
 * whichever edge replica its next request lands (Redis when configured; this
 * process otherwise). Losing it only loses the guarantee, never data.
 */
export class ConsistencyMemory {
  private readonly local: LRUCache<string, string>;

  constructor(private readonly ttlMs: number, private readonly redis: Redis | Cluster | undefined) {
    this.local = new LRUCache({ max: 50_000, ttl: Math.max(1, ttlMs) });
  }

  async recall(principal: string): Promise<string[]> {
    if (this.ttlMs === 0) return [];
    const local = this.local.get(principal);
    if (!this.redis) return local ? [local] : [];
    const shared = await this.redis.get(this.key(principal)).catch(() => null);
    return [local, shared].filter((t): t is string => Boolean(t));
  }

  async remember(principal: string, token: string): Promise<void> {
    if (this.ttlMs === 0) return;
    const merged = mergeTokens(parseTokens([token, ...(this.local.get(principal) ? [this.local.get(principal)!] : [])])).map(formatToken).join(',');
    this.local.set(principal, merged);
    await this.redis?.set(this.key(principal), merged, 'PX', this.ttlMs).catch(() => undefined);
  }

  private key(principal: string): string {
    return `edge:rtok:{${principal}}`;
  }
}
