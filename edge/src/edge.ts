import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { redisConnection, subscribeChanges } from '@tessera/cache';
import { REVOCATIONS_TOPIC } from '@tessera/auth';
import { Counter } from 'prom-client';
import { GrpcStatus, isServiceError, ownProcess, serviceIdentity, type Hosting, type RunningService } from '@tessera/grpc-kit';
import { createLogger, type Logger } from '@tessera/logging';
import { startMetricsServer } from '@tessera/metrics';
import { createApp } from './app';
import { Authenticator } from './auth/authenticator';
import { RevocationList } from './auth/revocation-list';
import { createClients } from './clients';
import { createGrpcGateway } from './grpc/gateway';
import { createRateLimits } from './rate-limit/rate-limits';
import { ConnectionDrain } from './http/connection-drain';
import { PublicCache } from './http/public-cache';
import { trustProxyFunction, type EdgeConfig } from './config';

/** Codes that mean the service did not answer (a refusal is an answer). */
const NO_ANSWER = new Set<number>([GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.CANCELLED, GrpcStatus.UNKNOWN, GrpcStatus.INTERNAL]);

export interface RunningEdge extends RunningService {
  /** The REST port. */
  port: number;
}

/** Composes the edge and listens; tests call this with port 0. */
export async function startEdge(config: EdgeConfig, logger: Logger = createLogger({ service: 'edge', level: config.LOG_LEVEL }), hosting: Hosting = ownProcess()): Promise<RunningEdge> {
  const registry = hosting.registry;
  const clients = createClients(config, registry, serviceIdentity('edge', config));
  const redis = config.REDIS_URL === 'memory://' ? undefined : redisConnection(config.REDIS_URL, config.REDIS_COMMAND_TIMEOUT_MS);
  redis?.on('error', () => undefined);
  if (!redis) logger.warn('REDIS_URL is memory://: rate limits and remembered write tokens are per process');
  // Serve once the shared store is connected (or clearly is not): limits leased before then come
  // from the per-process budget, which would admit a few requests over a shared limit.
  if (redis && redis.status !== 'ready') await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 2_000);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const revocationErrors = new Counter({ name: 'auth_revocation_check_errors_total', help: 'Revocation lookups that failed (tokens then live until they expire).', registers: [registry] });
  const revocations = redis ? new RevocationList({ redis, maxAgeMs: config.REVOCATION_CHECK_MS, onError: () => revocationErrors.inc() }) : undefined;
  const revocationNotices = revocations ? subscribeChanges(config.REDIS_URL, REVOCATIONS_TOPIC, { changed: (subjects) => revocations.forget(subjects), resync: () => revocations.clear() }, logger) : undefined;
  const authenticator = new Authenticator(clients, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, maxTokenAgeSeconds: config.JWT_MAX_AGE_S, jwksRefreshMs: config.JWKS_REFRESH_MS, revocations });

  let draining = false;
  // Readiness is the edge's own: it serves unless it is draining. A service that is down costs only
  // its routes (503 with Retry-After), not every edge pod its place behind the Service; the state of
  // each dependency is reported beside it (one cheap read each, remembered for a second).
  const probes: Record<string, () => Promise<unknown>> = (() => {
    const o = { deadlineMs: 1_000 };
    const nobody = 'usr_1';
    const page = { pageSize: 1, pageToken: '', offset: 0 };
    return {
      users: () => clients.auth.getJwks({}, o),
      catalog: () => clients.catalog.listProducts({ query: '', page }, o),
      orders: () => clients.orders.listOrders({ userId: nobody, page }, o),
      payments: () => clients.payments.listPayments({ userId: nobody, orderId: 'ord_1' }, o),
      notifications: () => clients.notifications.listNotifications({ userId: nobody, page, unreadOnly: false }, o),
    };
  })();
  let dependencies: { at: number; state: Promise<Record<string, 'up' | 'down'>> } | undefined;
  // Where this process's /metrics is (set once it listens): in /readyz, as an operator looking for it needs.
  let metricsPort = hosting.metricsPort;
  const ready = async () => {
    if (!dependencies || Date.now() - dependencies.at > 1_000) {
      // Any answer means the service is there (the probes carry no credentials, so most answers are refusals); no answer means down.
      const answered = (error: unknown) => (isServiceError(error) && !NO_ANSWER.has(error.code) ? ('up' as const) : ('down' as const));
      dependencies = { at: Date.now(), state: Promise.all(Object.entries(probes).map(async ([name, probe]) => [name, await probe().then(() => 'up' as const, answered)] as const)).then(Object.fromEntries) };
    }
    return { ready: !draining, dependencies: await dependencies.state, ...(metricsPort ? { metricsPort } : {}) };
  };

  // Product answers kept here, dropped when the catalog announces a change (see PublicCache for the staleness bound).
  const publicCache = config.PUBLIC_CACHE_TTL_MS > 0 ? new PublicCache({ maxEntries: config.PUBLIC_CACHE_MAX_ENTRIES, ttlMs: config.PUBLIC_CACHE_TTL_MS }) : undefined;
  const changes = publicCache ? subscribeChanges(config.REDIS_URL, 'products', { changed: (ids) => publicCache.invalidate(ids), resync: () => publicCache.clear() }, logger) : undefined;
  const limits = createRateLimits({ config, logger, registry, redis });
  const { app } = await createApp({ config, logger, registry, clients, authenticator, redis, limits, ready, publicCache, draining: () => draining });
  const gateway = createGrpcGateway({
    logger,
    registry,
    authenticator,
    limits: limits.calls,
    targets: { users: config.USERS_TARGET, catalog: config.CATALOG_TARGET, orders: config.ORDERS_TARGET, payments: config.PAYMENTS_TARGET, notifications: config.NOTIFICATIONS_TARGET },
    budgetMs: config.REQUEST_BUDGET_MS,
    trustProxy: trustProxyFunction(config.TRUST_PROXY),
    reflection: config.GRPC_REFLECTION,
    drainDelayMs: 0,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  });
  const grpcPort = await gateway.server.listen(config.HOST, config.GRPC_PORT);
  const connections = new ConnectionDrain(app.server);
  await app.listen({ port: config.PORT, host: config.HOST });
  const server: Server = app.server;
  server.headersTimeout = 66_000;
  // In a monolith the host serves every part's metrics on one endpoint.
  const metrics = hosting.monolith ? { port: 0, close: async () => undefined } : await startMetricsServer(registry, config.METRICS_PORT, config.HOST);
  metricsPort ??= metrics.port;
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, grpcPort }, 'edge listening');
  return {
    port,
    grpcPort,
    metricsPort: metrics.port,
    async stop() {
      // Drain: /readyz fails and every answer says `Connection: close` while the load balancer stops
      // sending (DRAIN_DELAY_MS); then the server stops accepting, the requests in flight finish, a
      // connection left idle is closed once it has been quiet for a moment (never under a client
      // about to reuse it), and stop resolves as soon as the last connection is gone
      // (SHUTDOWN_TIMEOUT_MS is only the bound).
      draining = true;
      if (config.DRAIN_DELAY_MS > 0) await new Promise((r) => setTimeout(r, config.DRAIN_DELAY_MS));
      await Promise.all([connections.drain({ idleGraceMs: 1_000, timeoutMs: config.SHUTDOWN_TIMEOUT_MS }), gateway.server.drain()]);
      await app.close();
      gateway.close();
      clients.close();
      changes?.close();
      revocationNotices?.close();
      redis?.disconnect();
      await metrics.close();
    },
  };
}

