export { testDatabase, type TestDatabase } from './test-database';
export { sharedRedisUrl, sharedRedisClusterNodes, scratchDir } from './shared-infra';
export { ENV } from './env';
