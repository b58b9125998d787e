import type { Cluster, Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { isRevoked, revocationKey } from '@tessera/auth';

interface Entry {
  fields: Record<string, string>;
  fetchedAt: number;
}

/**
 * The ended sessions of token subjects, as the users service writes them to
 * Redis (see @tessera/auth revocations.ts), remembered per subject for
 * `maxAgeMs` and forgotten at once on a change notice. So an ended session's
 * access tokens stop working here within `maxAgeMs` of the change (at once
 * when the notice arrives). A subject costs one Redis read per `maxAgeMs`
 * while it is active. When Redis fails, what is known is kept and the failure
 * counted: tokens then live until their `exp` (fail open, by choice: the
 * store being down must not log everybody out).
 */
export class RevocationList {
  private readonly entries = new LRUCache<string, Entry>({ max: 100_000 });
  private readonly pending = new Map<string, Promise<Entry>>();

  constructor(private readonly o: { redis: Redis | Cluster; maxAgeMs: number; onError(error: unknown): void }) {}

  async isRevoked(subject: string, token: { sessionId?: string | undefined; issuedAt: number }): Promise<boolean> {
    let entry = this.entries.get(subject);
    if (!entry || Date.now() - entry.fetchedAt > this.o.maxAgeMs) entry = await this.fetch(subject, entry);
    return isRevoked(entry.fields, token);
  }

  /** Change notice: these subjects' revocations changed. */
  forget(subjects: readonly string[]): void {
    for (const s of subjects) this.entries.delete(s);
  }

  /** Notices may have been missed (reconnect): ask again for everyone. */
  clear(): void {
    this.entries.clear();
  }

  private fetch(subject: string, known: Entry | undefined): Promise<Entry> {
    let p = this.pending.get(subject);
    if (!p) {
      p = this.o.redis
        .hgetall(revocationKey(subject))
        .then(
          (fields) => ({ fields, fetchedAt: Date.now() }),
          (error: unknown) => {
            this.o.onError(error);
            return { fields: known?.fields ?? {}, fetchedAt: Date.now() };
          },
        )
        .then((entry) => {
          this.entries.set(subject, entry);
          return entry;
        })
        .finally(() => this.pending.delete(subject));
      this.pending.set(subject, p);
    }
    return p;
  }
}
