export { testDatabase, type TestDatabase } from './test-database';
export { sharedRedisUrl, sharedRedisClusterNodes, scratchDir } from './shared-infra';
export { ENV } from './env';
export { startTestShards, type TestShards } from './shards';
export { startServiceProcess, type ServiceProcess } from './service-process';
export { eventually, metricSum, until } from './wait';
export { commitWhileWaiting } from './commit-while-waiting';
export { documentedOperations, nulRequests, malformedRequests, concretePath, type Operation, type MalformedRequest } from './malformed-requests';
export { actingAsNamedUser } from './acting-as';
