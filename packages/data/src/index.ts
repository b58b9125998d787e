export { migrate, type MigrationResult } from './migrate';
export { ShardedDb, migrateClusters } from './sharded-db';
export { ClusterDb, DEFAULT_POOL_OPTIONS, type PoolOptions, type ReadOptions, type WriteOptions, type WriteResult, type ReadResult } from './cluster';
export { ShardMap, shardMapSchema, clusterSchema, type ShardMapConfig, type ClusterConfig } from './shard-map';
export { composeId, decomposeId, shardOfId, formatId, parseId, ID_PREFIXES, ID_EPOCH_MS, MAX_LOGICAL_SHARDS, type IdKind, type IdParts } from './ids';
export { formatToken, parseToken, parseTokens, mergeTokens, parseLsn, formatLsn, type ConsistencyToken } from './consistency';
export { scatterGather, olderThan, micros, encodeCursor, decodeCursor, type ListCursor, type Page } from './scatter-gather';
export { isConnectionError, toAppError, withTimeout } from './db-errors';
export { dataConfigShape, loadDataConfig, type DataConfig } from './data-config';
