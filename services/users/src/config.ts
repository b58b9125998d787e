import { env, loadConfig } from '@tessera/config';
import { dataConfigShape } from '@tessera/data';
import { z } from 'zod';

/** Everything the users service reads from its environment, validated once at start. */
export const usersConfigShape = {
  GRPC_HOST: env.host('0.0.0.0'),
  GRPC_PORT: env.port(50051),
  METRICS_PORT: env.port(9464),
  ...dataConfigShape,
  LOG_LEVEL: env.logLevel(),
  /** Time to answer NOT_SERVING before refusing calls; a few readiness periods in Kubernetes. */
  DRAIN_DELAY_MS: env.milliseconds(5_000),
  SHUTDOWN_TIMEOUT_MS: env.milliseconds(25_000),
  MAX_CONNECTION_AGE_MS: env.milliseconds(5 * 60_000),
  /** Apply pending migrations at start; off in Kubernetes, where a Helm hook Job does it once. */
  MIGRATE_ON_START: env.flag(false),
  /** scrypt cost as log2(N); lowered only in tests. */
  SCRYPT_LOG_N: z.coerce.number().int().min(10).max(20).default(15),
};

export type UsersConfig = ReturnType<typeof loadUsersConfig>;

export function loadUsersConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(usersConfigShape, source);
}
