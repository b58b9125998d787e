import { Histogram, type Registry } from 'prom-client';
import { MetadataKeys, type CallOptions } from '@tessera/grpc-kit';

interface Waiter<V> {
  resolve(value: V | undefined): void;
  reject(error: unknown): void;
}

interface Pending<K, V> {
  key: K;
  waiters: Waiter<V>[];
}

interface Group<K, V> {
  entries: Map<string, Pending<K, V>>;
  /** Options of the first request in the group (its request id and trace ride on the batch). */
  first: CallOptions;
  deadline: number;
}

export interface BatcherOptions<K, V> {
  name: string;
  /** Most keys in one call (the RPC's own limit). */
  maxBatch: number;
  keyOf(key: K): string;
  /** One call for many keys; answers by `keyOf` (absent: not found). */
  run(keys: K[], options: CallOptions): Promise<Map<string, V>>;
  registry: Registry;
}

/**
 * Coalesces concurrent reads of one kind into one batched RPC (DataLoader
 * style): loads asked for during one turn of the event loop go out together
 * when it ends, identical keys share one answer, and requests that carry
 * different consistency tokens are batched apart (a token is a promise about
 * what the read must see). The batch's deadline is the earliest of its
 * requests'; it carries the first request's id and trace.
 *
 * Why: a gRPC call costs far more CPU than the bytes it moves (most of it
 * system calls, one per message and side); one call for 30 reads costs
 * about what one call for one read does.
 */
export class Batcher<K, V> {
  private readonly groups = new Map<string, Group<K, V>>();
  private scheduled = false;
  private readonly sizes: Histogram<'loader'>;

  constructor(private readonly o: BatcherOptions<K, V>) {
    this.sizes =
      (o.registry.getSingleMetric('edge_batch_size') as Histogram<'loader'> | undefined) ??
      new Histogram({ name: 'edge_batch_size', help: 'Reads per coalesced RPC, by loader.', labelNames: ['loader'], buckets: [1, 2, 4, 8, 16, 32, 64, 100], registers: [o.registry] });
  }

  load(key: K, options: CallOptions): Promise<V | undefined> {
    const tokens = String(options.metadata?.[MetadataKeys.consistencyToken] ?? '');
    let group = this.groups.get(tokens);
    if (!group) this.groups.set(tokens, (group = { entries: new Map(), first: options, deadline: Infinity }));
    group.deadline = Math.min(group.deadline, Date.now() + (options.deadlineMs ?? 10_000));
    const id = this.o.keyOf(key);
    const promise = new Promise<V | undefined>((resolve, reject) => {
      const pending = group.entries.get(id);
      if (pending) pending.waiters.push({ resolve, reject });
      else group.entries.set(id, { key, waiters: [{ resolve, reject }] });
    });
    if (group.entries.size >= this.o.maxBatch) {
      this.groups.delete(tokens);
      this.send(group);
    } else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return promise;
  }

  private flush(): void {
    this.scheduled = false;
    const groups = [...this.groups.values()];
    this.groups.clear();
    for (const group of groups) this.send(group);
  }

  private send(group: Group<K, V>): void {
    const entries = [...group.entries.values()];
    this.sizes.observe({ loader: this.o.name }, entries.length);
    const { onTrailers: _ignored, ...first } = group.first;
    this.o.run(entries.map((e) => e.key), { ...first, deadlineMs: Math.max(1, group.deadline - Date.now()) }).then(
      (found) => {
        for (const entry of entries) for (const w of entry.waiters) w.resolve(found.get(this.o.keyOf(entry.key)));
      },
      (error: unknown) => {
        for (const entry of entries) for (const w of entry.waiters) w.reject(error);
      },
    );
  }
}
