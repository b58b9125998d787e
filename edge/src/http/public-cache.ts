import { LRUCache } from 'lru-cache';

export interface CachedAnswer {
  payload: string;
  etag: string;
}

/**
 * A small in-process cache of public answers (the same bytes for every
 * caller), in front of the services. Entries carry a tag (the object's
 * prefixed id); change notices drop every entry of a tag.
 *
 * Staleness bound: while the change feed is connected, an answer is stale only
 * for the time a notice takes to arrive (milliseconds). When it is not, no
 * entry lives longer than `ttlMs`, and everything is dropped when the feed
 * reconnects. Bounded in size by `maxEntries` (least recently used go first).
 */
export class PublicCache {
  private readonly entries: LRUCache<string, CachedAnswer & { tag: string }>;
  private readonly keysByTag = new Map<string, Set<string>>();
  private readonly loading = new Map<string, Promise<CachedAnswer | undefined>>();
  private generation = 0;

  constructor(options: { maxEntries: number; ttlMs: number }) {
    this.entries = new LRUCache({
      max: options.maxEntries,
      ttl: options.ttlMs,
      dispose: (entry, key) => {
        const keys = this.keysByTag.get(entry.tag);
        keys?.delete(key);
        if (keys?.size === 0) this.keysByTag.delete(entry.tag);
      },
    });
  }

  /**
   * The cached answer for `key`, or `load()`'s, stored under `tag` when it is
   * cacheable. Concurrent misses of one key share one load (single flight).
   */
  async get(key: string, tag: string, load: () => Promise<CachedAnswer | undefined>): Promise<CachedAnswer | undefined> {
    const hit = this.entries.get(key);
    if (hit) return hit;
    let pending = this.loading.get(key);
    if (!pending) {
      const generation = this.generation;
      pending = load().then((answer) => {
        // A change notice that arrived during the load makes its answer suspect: serve it, don't keep it.
        if (answer && generation === this.generation) this.store(key, tag, answer);
        return answer;
      });
      this.loading.set(key, pending);
      void pending.finally(() => this.loading.delete(key)).catch(() => undefined);
    }
    return pending;
  }

  /** Drops every answer about these objects. */
  invalidate(tags: readonly string[]): void {
    this.generation++;
    for (const tag of tags) for (const key of [...(this.keysByTag.get(tag) ?? [])]) this.entries.delete(key);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  private store(key: string, tag: string, answer: CachedAnswer): void {
    this.entries.set(key, { ...answer, tag });
    let keys = this.keysByTag.get(tag);
    if (!keys) this.keysByTag.set(tag, (keys = new Set()));
    keys.add(key);
  }
}
