export { startPostgresCluster, type PostgresCluster, type PostgresNode, type PostgresClusterOptions } from './postgres-cluster';
export { startRedis, startRedisCluster, type RedisNode, type RedisCluster } from './redis';
export { freePort } from './free-port';
export { waitFor } from './processes';
export { loadTopology, peerEnv, usesRedis, startWaves, SERVICE_NAMES, TOPOLOGY_FILE, type ServiceName, type Caller, type Topology } from './topology';
