import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
// Relative imports of the modules themselves: Jest loads global setup outside its module mapper, so nothing here may import @tessera/*.
import { startPostgresCluster, type PostgresCluster } from '../../local-infra/src/postgres-cluster';
import { startRedis, startRedisCluster, type RedisCluster, type RedisNode } from '../../local-infra/src/redis';
import { ENV } from './env';

export interface SharedInfra {
  root: string;
  postgres: PostgresCluster;
  redis: RedisNode;
  redisCluster: RedisCluster;
}

/**
 * Starts the infrastructure every test file shares, once per run: a Postgres
 * primary with one streaming replica, a Redis node and a 3-master Redis
 * Cluster, all on free loopback ports in a fresh temp folder. Test files get
 * isolation by creating their own databases (see testDatabase()); tests that
 * kill or pause servers start their own.
 */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const root = mkdtempSync(path.join(tmpdir(), 'tessera-test-'));
  // mkdtemp makes 0700 folders; Postgres runs as its own user when we are root and must reach its data.
  chmodSync(root, 0o755);
  const results = await Promise.allSettled([
    startPostgresCluster({ dataDir: path.join(root, 'pg'), replicas: 1, durable: false }),
    startRedis({ dir: path.join(root, 'redis') }),
    startRedisCluster({ dir: path.join(root, 'redis-cluster'), masters: 3 }),
  ] as const);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    // Stop whatever did start, so a failed run leaves no servers behind.
    await Promise.allSettled(results.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    throw (failed as PromiseRejectedResult).reason;
  }
  const [postgres, redis, redisCluster] = results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [PostgresCluster, RedisNode, RedisCluster];
  const infra: SharedInfra = { root, postgres, redis, redisCluster };
  (globalThis as { __TESSERA_INFRA__?: SharedInfra }).__TESSERA_INFRA__ = infra;
  process.env[ENV.root] = root;
  process.env[ENV.pgPrimary] = postgres.primary.url();
  process.env[ENV.pgReplica] = postgres.replicas[0]!.url();
  process.env[ENV.redis] = redis.url;
  process.env[ENV.redisCluster] = JSON.stringify(redisCluster.startupNodes);
  process.stdout.write(`\ntest infrastructure up in ${Date.now() - started} ms (${postgres.version}, primary :${postgres.primary.port}, replica :${postgres.replicas[0]!.port}, redis :${redis.port}, cluster :${redisCluster.startupNodes.map((n) => n.port).join(',')})\n`);
}
