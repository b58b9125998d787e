/**
 * Applies a service's migrations to every physical cluster:
 *
 *   DATABASE_CLUSTERS='[{"name":"shard-a","primary":"postgres://…"}]' \
 *     npm run migrate -- services/users/migrations
 *
 * What the local runner and the Kubernetes `migrate` init containers run. Exit code 0 when
 * every cluster is up to date.
 */
import path from 'node:path';
import { loadConfig } from '@tessera/config';
import { createRegistry } from '@tessera/metrics';
import { dataConfigShape, loadDataConfig } from './data-config';
import { ShardedDb } from './sharded-db';

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: migrate <migrations-dir>');
  const db = await ShardedDb.connect({ ...loadDataConfig(loadConfig(dataConfigShape)), registry: createRegistry() });
  try {
    const results = await db.migrateAll(path.resolve(dir));
    for (const [cluster, result] of Object.entries(results)) {
      process.stdout.write(`${cluster}: applied ${result.applied.length ? result.applied.join(', ') : 'nothing'} (${result.skipped.length} already applied)\n`);
    }
  } finally {
    await db.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`migrate: ${(error as Error).message}\n`);
  process.exit(1);
});
