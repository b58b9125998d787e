import path from 'node:path';
import { protoFiles, PROTO_ROOT, users as pb } from '@tessera/contracts';
import { loadDataConfig, ShardedDb } from '@tessera/data';
import { GrpcServer, runMain, type RunningService } from '@tessera/grpc-kit';
import { createLogger, type Logger } from '@tessera/logging';
import { createRegistry, startMetricsServer } from '@tessera/metrics';
import { loadUsersConfig, type UsersConfig } from './config';
import { userRepository } from './data-access/user-repository';
import { DEFAULT_SCRYPT, scryptHasher } from './data-access/scrypt-hasher';
import { usersHandlers } from './entry-points/grpc/users-handlers';

export const MIGRATIONS_DIR = path.resolve(__dirname, '..', 'migrations');

/** Composes the service from its config and starts it; tests call this with port 0. */
export async function startUsersService(config: UsersConfig, logger: Logger = createLogger({ service: 'users', level: config.LOG_LEVEL })): Promise<RunningService> {
  const registry = createRegistry();
  const data = loadDataConfig(config);
  const db = await ShardedDb.connect({ ...data, registry });
  if (config.MIGRATE_ON_START) logger.info({ migrations: await db.migrateAll(MIGRATIONS_DIR) }, 'migrations applied');
  const hasher = scryptHasher({ ...DEFAULT_SCRYPT, N: 2 ** config.SCRYPT_LOG_N });
  const server = new GrpcServer({
    logger,
    registry,
    reflection: { protoRoot: PROTO_ROOT, files: [protoFiles.users] },
    drainDelayMs: config.DRAIN_DELAY_MS,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    maxConnectionAgeMs: config.MAX_CONNECTION_AGE_MS,
  });
  server.addService(pb.UsersServiceService, usersHandlers({ users: userRepository(db), hasher }));
  const grpcPort = await server.listen(config.GRPC_HOST, config.GRPC_PORT);
  const metrics = await startMetricsServer(registry, config.METRICS_PORT, config.GRPC_HOST);
  return {
    grpcPort,
    metricsPort: metrics.port,
    async stop() {
      await server.drain();
      await Promise.all([db.end(), metrics.close()]);
    },
  };
}

if (require.main === module) runMain('users', loadUsersConfig, startUsersService);
