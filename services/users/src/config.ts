import { signingKeysSchema } from '@tessera/auth';
import { env, loadConfig } from '@tessera/config';
import { dataConfigShape } from '@tessera/data';
import { grpcServiceConfigShape } from '@tessera/grpc-kit';
import { z } from 'zod';


/** Everything the users service reads from its environment, validated once at start. */
export const usersConfigShape = {
  ...grpcServiceConfigShape,
  ...dataConfigShape,
  GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(50051),
  /** scrypt cost as log2(N); lowered only in tests. */
  SCRYPT_LOG_N: z.coerce.number().int().min(10).max(20).default(15),
  /** `redis://…`, `redis-cluster://h1:p1,h2:p2`, or `memory://` for an in-process cache. */
  REDIS_URL: z.string().default('memory://'),
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(5).default(100),
  PROFILE_CACHE_TTL_MS: z.coerce.number().int().min(100).default(60_000),
  /** Upper bound on how long a revoked key keeps working where the cache is not shared. */
  API_KEY_CACHE_TTL_MS: z.coerce.number().int().min(100).default(30_000),
  JWT_ISSUER: z.string().url().default('https://tessera.local'),
  JWT_AUDIENCE: z.string().min(1).default('tessera-api'),
  ACCESS_TOKEN_TTL_S: z.coerce.number().int().min(60).max(3_600).default(900),
  REFRESH_TOKEN_TTL_S: z.coerce.number().int().min(300).default(30 * 24 * 3_600),
  /** A spent refresh token presented again this soon after its rotation gets a sibling instead of revoking the session (concurrent refreshes). */
  REFRESH_REUSE_GRACE_MS: z.coerce.number().int().min(0).max(60_000).default(10_000),
  /** JSON list, newest (signing) key first: `[{"kid":"…","privateKeyPem":"-----BEGIN PRIVATE KEY-----…"}]`. */
  JWT_SIGNING_KEYS: env.json(signingKeysSchema).optional(),
  /** Failed logins per account before each further failure doubles the wait, from the base up to the cap. */
  LOGIN_FREE_FAILURES: z.coerce.number().int().min(1).default(5),
  LOGIN_BACKOFF_BASE_MS: z.coerce.number().int().min(1).default(1_000),
  LOGIN_BACKOFF_MAX_MS: z.coerce.number().int().min(1).default(15 * 60_000),
  ADMIN_EMAIL: z.string().email().optional(),
  ADMIN_PASSWORD: z.string().min(12).optional(),
};

export type UsersConfig = ReturnType<typeof loadUsersConfig>;

export function loadUsersConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(usersConfigShape, source);
}
