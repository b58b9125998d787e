import { Registry } from 'prom-client';
import { ClusterDb, DEFAULT_POOL_OPTIONS, type PoolOptions } from './cluster';
import { dataMetrics } from './data-metrics';
import { isNotReadyYet } from './db-errors';
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
 * what `node main.js migrate` (each service pod's init container) and the local runner call.
 */
export async function migrateClusters(
  config: { clusters: ClusterConfig[]; shardMap: ShardMap; runtimeRole?: string | undefined; waitForDatabaseMs?: number },
  dir: string,
  platformSql: readonly string[] = [],
  logger?: { warn(details: object, message: string): void },
): Promise<Record<string, MigrationResult>> {
  // In Kubernetes `migrate` runs as an init container while the database may still be coming up
  // (CNPG bootstrapping the cluster, its managed roles not created yet, the Service without
  // endpoints): wait for it here, with a bounded backoff, instead of crash-looping the pod into
  // Kubernetes' own backoff (up to 5 minutes). Errors in the migrations themselves fail at once.
  const deadline = Date.now() + (config.waitForDatabaseMs ?? 0);
  for (let attempt = 1; ; attempt++) {
    const db = await ShardedDb.connect({ ...config, registry: new Registry() });
    try {
      return await db.migrateAll(dir, platformSql, config.runtimeRole);
    } catch (error) {
      if (!isNotReadyYet(error) || Date.now() >= deadline) throw error;
      logger?.warn({ attempt, reason: (error as Error).message }, 'the database is not ready yet; migrations wait for it');
    } finally {
      await db.end();
    }
    await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** Math.min(attempt - 1, 5))));
  }
}

