export { startPostgresCluster, type PostgresCluster, type PostgresNode, type PostgresClusterOptions } from './postgres-cluster';
export { startRedis, startRedisCluster, type RedisNode, type RedisCluster, type RedisAcl } from './redis';
export { freePort } from './free-port';
export { waitFor } from './processes';
export { peerEnv, usesRedis, startWaves, SERVICE_NAMES, type ServiceName, type Caller } from './topology';
export { createServiceIdentities, type ServiceIdentities } from './service-identities';
export { loadRedisAcl, redisAclRules, REDIS_ACL_FILE } from './redis-acl';
