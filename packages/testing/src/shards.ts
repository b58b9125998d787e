import path from 'node:path';
import { startPostgresCluster, type PostgresCluster } from '@tessera/local-infra';
import { scratchDir } from './shared-infra';

export interface TestShards {
  /** Connection settings per physical shard, shaped like the data tier's DATABASE_CLUSTERS. */
  clusters: { name: string; primary: string; replicas: string[] }[];
  /** The servers, for fault injection (pause, stop, start). */
  servers: PostgresCluster[];
  stop(): Promise<void>;
}

/**
 * Physical shards of its own for a test file that breaks things: `count`
 * clusters, each a primary with `replicas` real streaming replicas, named
 * shard-a, shard-b, ...
 */
export async function startTestShards(options: { count: number; replicas?: number; replicaDelayMs?: number }): Promise<TestShards> {
  const root = scratchDir('shards');
  const names = Array.from({ length: options.count }, (_, i) => `shard-${String.fromCharCode(97 + i)}`);
  const servers = await Promise.all(
    names.map((name) => startPostgresCluster({ dataDir: path.join(root, name), replicas: options.replicas ?? 1, durable: false, ...(options.replicaDelayMs ? { replicaDelayMs: options.replicaDelayMs } : {}) })),
  );
  return {
    clusters: servers.map((s, i) => ({ name: names[i]!, primary: s.primary.url(), replicas: s.replicas.map((r) => r.url()) })),
    servers,
    stop: async () => {
      await Promise.allSettled(servers.map((s) => s.stop()));
    },
  };
}
