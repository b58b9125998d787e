import { createHash } from 'node:crypto';
import { z } from 'zod';
import { MAX_LOGICAL_SHARDS } from './ids';

/**
 * Logical shards → physical clusters, by configuration (a ConfigMap in
 * Kubernetes). Ids carry the logical shard, never the cluster, so moving a
 * range of logical shards to a new cluster is a config change and no id changes.
 */
export const shardMapSchema = z
  .object({
    logicalShards: z.number().int().min(1).max(MAX_LOGICAL_SHARDS),
    ranges: z.array(z.object({ from: z.number().int().min(0), to: z.number().int().min(0), cluster: z.string().min(1) })).min(1),
  })
  .superRefine((map, ctx) => {
    const sorted = [...map.ranges].sort((a, b) => a.from - b.from);
    let next = 0;
    for (const range of sorted) {
      if (range.to < range.from) ctx.addIssue({ code: 'custom', message: `range ${range.from}-${range.to} is empty` });
      if (range.from !== next) ctx.addIssue({ code: 'custom', message: `logical shards must be covered exactly once; ${next} is ${range.from > next ? 'missing' : 'covered twice'}` });
      next = range.to + 1;
    }
    if (next !== map.logicalShards) ctx.addIssue({ code: 'custom', message: `ranges end at ${next - 1} but logicalShards is ${map.logicalShards}` });
  });

export type ShardMapConfig = z.infer<typeof shardMapSchema>;

/** Connection URLs of one physical cluster: its primary and its streaming replicas. */
export const clusterSchema = z.object({
  name: z.string().regex(/^[a-z0-9-]{1,40}$/, 'lower-case letters, digits and dashes'),
  primary: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  replicas: z.array(z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')).default([]),
});

export type ClusterConfig = z.infer<typeof clusterSchema>;

export class ShardMap {
  private readonly clusterByShard: string[];

  constructor(readonly config: ShardMapConfig) {
    shardMapSchema.parse(config);
    this.clusterByShard = new Array<string>(config.logicalShards);
    for (const { from, to, cluster } of config.ranges) for (let s = from; s <= to; s++) this.clusterByShard[s] = cluster;
  }

  /** Everything on one cluster: `{ logicalShards: 1024, ranges: [{ from: 0, to: 1023, cluster }] }`. */
  static single(cluster: string, logicalShards = MAX_LOGICAL_SHARDS): ShardMap {
    return new ShardMap({ logicalShards, ranges: [{ from: 0, to: logicalShards - 1, cluster }] });
  }

  /** Logical shards split evenly over the clusters, in order. */
  static even(clusters: string[], logicalShards = MAX_LOGICAL_SHARDS): ShardMap {
    const per = Math.ceil(logicalShards / clusters.length);
    return new ShardMap({
      logicalShards,
      ranges: clusters.map((cluster, i) => ({ from: i * per, to: Math.min(logicalShards, (i + 1) * per) - 1, cluster })),
    });
  }

  get clusters(): string[] {
    return [...new Set(this.config.ranges.map((r) => r.cluster))];
  }

  clusterOf(logicalShard: number): string {
    const cluster = this.clusterByShard[logicalShard];
    if (cluster === undefined) throw new RangeError(`logical shard ${logicalShard} is outside 0..${this.config.logicalShards - 1}`);
    return cluster;
  }

  /** A stable logical shard for a key (e.g. a normalized email): uniform, and the same in every process. */
  shardForKey(key: string): number {
    return createHash('sha256').update(key).digest().readUInt32BE(0) % this.config.logicalShards;
  }
}
