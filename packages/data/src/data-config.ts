import { ConfigError, env } from '@tessera/config';
import { z } from 'zod';
import { clusterSchema, ShardMap, shardMapSchema } from './shard-map';


/**
 * Environment variables of the data tier, for services' config shapes:
 * - DATABASE_CLUSTERS: JSON list of `{name, primary, replicas[]}` (URLs from the CNPG secrets in Kubernetes);
 * - SHARD_MAP or SHARD_MAP_FILE: JSON `{logicalShards, ranges: [{from, to, cluster}]}` (a ConfigMap);
 *   when neither is set and there is one cluster, every logical shard is on it.
 */
export const dataConfigShape = {
  DATABASE_CLUSTERS: env.json(z.array(clusterSchema).min(1)),
  SHARD_MAP: env.json(shardMapSchema).optional(),
  SHARD_MAP_FILE: env.jsonFile(shardMapSchema).optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  DATABASE_PREPARE: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  DATABASE_MAX_REPLICA_LAG_S: z.coerce.number().min(0).default(5),
  DATABASE_REPLICA_TIMEOUT_MS: z.coerce.number().int().min(10).default(1_000),
  /**
   * For `migrate` run as the tables' owner: the (less privileged) role the
   * service itself connects as. After migrating it is granted DML on every
   * table, less what the migrations' `tessera_restrict_runtime(role)` takes
   * back (e.g. the payments ledger: insert only). Unset: no grants (the
   * service connects as the owner, as locally).
   */
  DATABASE_RUNTIME_ROLE: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a Postgres role name').optional(),
  /** How long `migrate` waits for a database that is not up yet (its init container in Kubernetes). */
  MIGRATE_WAIT_MS: z.coerce.number().int().min(0).default(600_000),
};

export type DataConfig = {
  clusters: z.infer<typeof dataConfigShape.DATABASE_CLUSTERS>;
  shardMap: ShardMap;
  pool: { poolMax: number; prepare: boolean; maxLagSeconds: number; replicaTimeoutMs: number };
  runtimeRole?: string | undefined;
  waitForDatabaseMs?: number;
};

/** Resolves the parsed variables into what ShardedDb.connect takes. */
export function loadDataConfig(env: {
  DATABASE_CLUSTERS: z.infer<typeof dataConfigShape.DATABASE_CLUSTERS>;
  SHARD_MAP?: z.infer<typeof shardMapSchema> | undefined;
  SHARD_MAP_FILE?: z.infer<typeof shardMapSchema> | undefined;
  DATABASE_POOL_MAX: number;
  DATABASE_PREPARE: boolean;
  DATABASE_MAX_REPLICA_LAG_S: number;
  DATABASE_REPLICA_TIMEOUT_MS: number;
  DATABASE_RUNTIME_ROLE?: string | undefined;
  MIGRATE_WAIT_MS?: number;
}): DataConfig {
  let shardMap: ShardMap;
  if (env.SHARD_MAP) shardMap = new ShardMap(env.SHARD_MAP);
  else if (env.SHARD_MAP_FILE) shardMap = new ShardMap(env.SHARD_MAP_FILE);
  else if (env.DATABASE_CLUSTERS.length === 1) shardMap = ShardMap.single(env.DATABASE_CLUSTERS[0]!.name);
  else throw new ConfigError(['SHARD_MAP or SHARD_MAP_FILE is required with more than one database cluster']);
  return {
    clusters: env.DATABASE_CLUSTERS,
    shardMap,
    pool: { poolMax: env.DATABASE_POOL_MAX, prepare: env.DATABASE_PREPARE, maxLagSeconds: env.DATABASE_MAX_REPLICA_LAG_S, replicaTimeoutMs: env.DATABASE_REPLICA_TIMEOUT_MS },
    runtimeRole: env.DATABASE_RUNTIME_ROLE,
    ...(env.MIGRATE_WAIT_MS === undefined ? {} : { waitForDatabaseMs: env.MIGRATE_WAIT_MS }),
  };
}
