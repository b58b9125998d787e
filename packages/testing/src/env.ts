/** Environment variables through which the global setup tells test workers where the shared servers are. */
export const ENV = {
  root: 'TESSERA_TEST_ROOT',
  pgPrimary: 'TESSERA_TEST_PG_PRIMARY_URL',
  pgReplica: 'TESSERA_TEST_PG_REPLICA_URL',
  redis: 'TESSERA_TEST_REDIS_URL',
  redisCluster: 'TESSERA_TEST_REDIS_CLUSTER_NODES',
} as const;
