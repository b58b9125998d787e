import { Registry } from 'prom-client';
import { ClusterDb, DEFAULT_POOL_OPTIONS, type PoolOptions } from './cluster';
import { dataMetrics } from './data-metrics';
import { shardOfId } from './ids';
import { migrate, type MigrationResult } from './migrate';
import type { ClusterConfig, ShardMap } from './shard-map';

/**
 * The data tier as services see it: route by user (or logical shard) to the
 * physical cluster that holds it, or address every cluster for migrations and
 * cross-shard listings. Built once in main.ts from config.
 */
export class ShardedDb {
  private readonly byName: Map<string, ClusterDb>;

  private constructor(
    readonly shardMap: ShardMap,
    clusters: ClusterDb[],
  ) {
    this.byName = new Map(clusters.map((c) => [c.name, c]));
  }

  static async connect(options: { shardMap: ShardMap; clusters: ClusterConfig[]; registry: Registry; pool?: Partial<PoolOptions> }): Promise<ShardedDb> {
    const names = new Set(options.clusters.map((c) => c.name));
    const missing = options.shardMap.clusters.filter((name) => !names.has(name));
    if (missing.length > 0) throw new Error(`the shard map names clusters with no connection settings: ${missing.join(', ')}`);
    const metrics = dataMetrics(options.registry);
    const clusters = options.clusters.map((c) => new ClusterDb(c, { ...DEFAULT_POOL_OPTIONS, ...options.pool }, metrics));
    await Promise.all(clusters.map((c) => c.start()));
    return new ShardedDb(options.shardMap, clusters);
  }

  /** The cluster holding a logical shard. */
  forShard(logicalShard: number): ClusterDb {
    return this.cluster(this.shardMap.clusterOf(logicalShard));
  }

  /** The cluster holding everything of the user with this (decimal) id. */
  forUser(userId: string | bigint): ClusterDb {
    return this.forShard(shardOfId(userId));
  }

  cluster(name: string): ClusterDb {
    const cluster = this.byName.get(name);
    if (!cluster) throw new Error(`unknown cluster ${name}`);
    return cluster;
  }

  get clusters(): ClusterDb[] {
    return [...this.byName.values()];
  }

  /** Applies a service's migrations (and shared platform SQL, e.g. the outbox tables) to every physical cluster's primary. */
  async migrateAll(dir: string, platformSql: readonly string[] = [], runtimeRole?: string): Promise<Record<string, MigrationResult>> {
    const results = await Promise.all(this.clusters.map(async (c) => [c.name, await migrate(c.primary, dir, platformSql, runtimeRole)] as const));
    return Object.fromEntries(results);
  }

  async end(): Promise<void> {
    await Promise.all(this.clusters.map((c) => c.end()));
  }
}

/**
 * Connects, applies a service's migrations to every cluster, and disconnects:
 * what `node main.js migrate` (the Helm hook Job) and the local runner call.
 */
export async function migrateClusters(config: { clusters: ClusterConfig[]; shardMap: ShardMap; runtimeRole?: string | undefined }, dir: string, platformSql: readonly string[] = []): Promise<Record<string, MigrationResult>> {
  const db = await ShardedDb.connect({ ...config, registry: new Registry() });
  try {
    return await db.migrateAll(dir, platformSql, config.runtimeRole);
  } finally {
    await db.end();
  }
}
