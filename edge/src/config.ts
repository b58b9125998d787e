import { env, loadConfig } from '@tessera/config';
import proxyAddr from '@fastify/proxy-addr';
import { serviceAuthConfigShape, tracingConfigShape } from '@tessera/grpc-kit';
import { z } from 'zod';

/** Everything the edge reads from its environment, validated once at start. */
export const edgeConfigShape = {
  HOST: env.host('0.0.0.0'),
  PORT: env.port(8080),
  /** The public gRPC API (the services' RPCs for outside clients, authenticated and rate-limited as REST). */
  GRPC_PORT: env.port(50050),
  /** Server reflection on the public gRPC port (grpcurl without protos): it lists every public method, so it is off unless asked for. */
  GRPC_REFLECTION: serviceAuthConfigShape.GRPC_REFLECTION,
  METRICS_PORT: env.port(9464),
  ...tracingConfigShape,
  LOG_LEVEL: env.logLevel(),
  /** The edge's service identity (Ed25519 PEM): the services' policies let only the edge batch order reads and check API keys. */
  SERVICE_KEY: serviceAuthConfigShape.SERVICE_KEY,
  USERS_TARGET: z.string().min(1).default('users:50051'),
  CATALOG_TARGET: z.string().min(1).default('catalog:50052'),
  ORDERS_TARGET: z.string().min(1).default('orders:50053'),
  PAYMENTS_TARGET: z.string().min(1).default('payments:50054'),
  NOTIFICATIONS_TARGET: z.string().min(1).default('notifications:50055'),
  /** `redis://…`, `redis-cluster://h1:p1,…` (shared by every edge replica), or `memory://` (per process). */
  REDIS_URL: z.string().default('memory://'),
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(5).default(100),
  JWT_ISSUER: z.string().url().default('https://tessera.local'),
  JWT_AUDIENCE: z.string().min(1).default('tessera-api'),
  /** The users service's ACCESS_TOKEN_TTL_S: no token with a longer lifetime (or older than this) is accepted, whatever its exp says. */
  JWT_MAX_AGE_S: z.coerce.number().int().min(60).max(3_600).default(900),
  /** How often the JWKS is fetched again: a key removed from it stops verifying within this bound. */
  JWKS_REFRESH_MS: z.coerce.number().int().min(1_000).default(60_000),
  /**
   * How long a subject's revocations (logouts, deletions) are trusted before
   * Redis is asked again; with change notices, they apply at once. The bound
   * within which an ended session's access tokens stop working at this edge.
   */
  REVOCATION_CHECK_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /**
   * Which X-Forwarded-For entries to believe: "false" (no proxy; the socket
   * address is the client) or a hop count ("1" behind ingress-nginx or a
   * Gateway: the entry that proxy appended). Address ranges are accepted too,
   * but "uniquelocal" trusts private addresses a client wrote itself.
   */
  TRUST_PROXY: z.string().default('false'),
  /** Requests per minute: anonymous (per IP), signed-in users, API keys and OAuth clients (per principal), login and registration (per IP). */
  RATE_LIMIT_ANONYMOUS: z.coerce.number().int().min(1).default(100),
  RATE_LIMIT_USER: z.coerce.number().int().min(1).default(1_000),
  RATE_LIMIT_API_KEY: z.coerce.number().int().min(1).default(600),
  RATE_LIMIT_AUTH: z.coerce.number().int().min(1).default(20),
  /** Failed authentications (bad tokens or keys) per client address and window; past it, requests with credentials get 429 before any lookup. */
  RATE_LIMIT_AUTH_FAILURES: z.coerce.number().int().min(1).default(20),
  RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(1_000).default(60_000),
  /** Redis key prefix of the counters (edges that must share quotas share it). */
  RATE_LIMIT_PREFIX: z.string().regex(/^[\w:.-]{1,64}$/).default('edge:rl:'),
  /**
   * Adaptive admission (load shedding): the concurrency limit follows latency
   * between these bounds; requests over it get 503 + Retry-After at once
   * (sign-in and order status keep headroom). ADMISSION_LIMIT_MAX=0 turns it off.
   */
  ADMISSION_LIMIT_MIN: z.coerce.number().int().min(1).default(128),
  ADMISSION_LIMIT_MAX: z.coerce.number().int().min(0).default(4_096),
  /** Time budget of one request, shared by its gRPC calls. */
  REQUEST_BUDGET_MS: z.coerce.number().int().min(100).default(10_000),
  /** How long the edge remembers a principal's latest write token (read-your-writes without the header). */
  CONSISTENCY_MEMORY_MS: z.coerce.number().int().min(0).default(5_000),
  /**
   * The in-process cache of public answers (product by id): how long an entry
   * may live without a change notice (its staleness bound when Redis is
   * unreachable; 0 turns the cache off), and how many entries it keeps.
   */
  PUBLIC_CACHE_TTL_MS: z.coerce.number().int().min(0).max(300_000).default(10_000),
  PUBLIC_CACHE_MAX_ENTRIES: z.coerce.number().int().min(1).default(10_000),
  BODY_LIMIT: z.string().regex(/^\d+\s*(b|kb|mb)?$/i, 'a size like 512, 16kb or 1mb').default('1mb'),
  /**
   * Registration and email changes answer 202 with the same body whether or
   * not the address was taken (instead of 201/200 or 409), so they do not
   * reveal which emails have accounts; the price: a client learns whether it
   * worked only by logging in or reading the profile back.
   */
  ENUMERATION_SAFE: env.flag(false),
  /** Comma-separated allowed CORS origins; empty: no cross-origin access. */
  CORS_ORIGINS: z.string().default(''),
  /** Sunset date announced for /api/v1 (HTTP date). */
  V1_SUNSET: z.string().default('Wed, 30 Jun 2027 00:00:00 GMT'),
  DRAIN_DELAY_MS: env.milliseconds(5_000),
  /** Where SIGUSR2 writes on-demand CPU profiles (first signal starts, second writes); unset: off. */
  CPU_PROFILE_DIR: z.string().optional(),
  SHUTDOWN_TIMEOUT_MS: env.milliseconds(25_000),
};

export type EdgeConfig = ReturnType<typeof loadEdgeConfig>;

export function loadEdgeConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(edgeConfigShape, source);
}

/**
 * TRUST_PROXY as proxy-addr's trust function, for REST (Fastify) and gRPC
 * alike: "false" trusts no proxy, "2" the first two hops, "true" every hop,
 * anything else is a list of addresses and ranges.
 */
export function trustProxyFunction(value: string): (address: string, hop: number) => boolean {
  if (value === 'false') return () => false;
  if (value === 'true') return () => true;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return (_address, hop) => hop < hops;
  }
  return proxyAddr.compile(value.split(',').map((entry) => entry.trim()));
}

/** "1mb", "16kb", "512" → bytes. */
export function bodyLimitBytes(value: string): number {
  const match = /^(\d+)\s*(b|kb|mb)?$/i.exec(value.trim());
  if (!match) throw new Error(`BODY_LIMIT must look like 512, 16kb or 1mb (got ${value})`);
  return Number(match[1]) * { b: 1, kb: 1024, mb: 1024 * 1024 }[(match[2] ?? 'b').toLowerCase() as 'b' | 'kb' | 'mb'];
}
