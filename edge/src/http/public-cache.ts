import { LRUCache } from 'lru-cache';

export interface CachedAnswer {
  payload: string;
  etag: string;
}

interface Entry extends CachedAnswer {
  tag: string;
  /** After this, the entry is still served but reloaded in the background. */
  refreshAt: number;
}

/**
 * A small in-process cache of public answers (the same bytes for every
 * caller), in front of the services. Entries carry a tag (the object's
 * prefixed id); change notices drop every entry of a tag.
 *
 * Staleness bound: while the change feed is connected, an answer is stale only
 * for the time a notice takes to arrive (milliseconds). When it is not, no
 * entry is served more than `ttlMs` after it was loaded, and everything is
 * dropped when the feed reconnects. Bounded in size by `maxEntries` (least
 * recently used go first).
 *
 * Between half and three quarters of its TTL (drawn per entry, so entries
 * filled together do not come due together) an entry is reloaded in the
 * background while it keeps being served: a busy key never makes a request
 * wait for the services.
 */
export class PublicCache {
  private readonly entries: LRUCache<string, Entry>;
  private readonly keysByTag = new Map<string, Set<string>>();
  private readonly loading = new Map<string, Promise<CachedAnswer | undefined>>();
  private generation = 0;

  constructor(private readonly options: { maxEntries: number; ttlMs: number; now?: () => number }) {
    this.entries = new LRUCache({
      max: options.maxEntries,
      ttl: options.ttlMs,
      // Expired entries are never served, and need no timer to go.
      ttlAutopurge: false,
      ...(options.now ? { perf: { now: options.now } } : {}),
      dispose: (entry, key) => {
        const keys = this.keysByTag.get(entry.tag);
        keys?.delete(key);
        if (keys?.size === 0) this.keysByTag.delete(entry.tag);
      },
    });
  }

  /**
   * The cached answer for `key`, or `load()`'s, stored under `tag`. Concurrent
   * misses of one key share one load (single flight).
   */
  async get(key: string, tag: string, load: () => Promise<CachedAnswer | undefined>): Promise<CachedAnswer | undefined> {
    const hit = this.entries.get(key);
    if (hit) {
      if (this.now() >= hit.refreshAt) void this.load(key, tag, load).catch(() => undefined);
      return hit;
    }
    return this.load(key, tag, load);
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

  private now(): number {
    return this.options.now ? this.options.now() : performance.now();
  }

  private load(key: string, tag: string, load: () => Promise<CachedAnswer | undefined>): Promise<CachedAnswer | undefined> {
    let pending = this.loading.get(key);
    if (pending) return pending;
    const generation = this.generation;
    pending = load().then((answer) => {
      // A change notice that arrived during the load makes its answer suspect: serve it, don't keep it.
      if (answer && generation === this.generation) this.store(key, tag, answer);
      return answer;
    });
    this.loading.set(key, pending);
    void pending.finally(() => this.loading.delete(key)).catch(() => undefined);
    return pending;
  }

  private store(key: string, tag: string, answer: CachedAnswer): void {
    const refreshIn = this.options.ttlMs * (0.5 + Math.random() / 4);
    this.entries.set(key, { ...answer, tag, refreshAt: this.now() + refreshIn });
    let keys = this.keysByTag.get(tag);
    if (!keys) this.keysByTag.set(tag, (keys = new Set()));
    keys.add(key);
  }
}
