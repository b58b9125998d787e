import type { RequestHandler } from 'express';
import type { Store } from 'express-rate-limit';
import type { Cluster, Redis } from 'ioredis';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '@tessera/logging';
import type { EdgeConfig } from '../config';
import { authLimiter, quotaLimiter } from './limits';
import { RedisRateLimitStore } from './redis-store';

export interface RateLimits {
  /** Per-principal (or per-IP for anonymous callers) quota on every API route. */
  quota: RequestHandler[];
  /** The strict per-IP limit on login, registration and the token endpoint. */
  auth: RequestHandler[];
}

/**
 * The edge's limiters, each over a Redis store shared by every replica (or
 * in-process memory when there is no Redis), with rejections and store
 * failures counted.
 */
export function createRateLimits(deps: { config: EdgeConfig; logger: Logger; registry: Registry; redis: Redis | Cluster | undefined }): RateLimits {
  const { config, logger, registry, redis } = deps;
  const rejected = new Counter({ name: 'http_rate_limited_total', help: 'Requests refused by a rate limit.', labelNames: ['limit'], registers: [registry] });
  const storeErrors = new Counter({ name: 'http_rate_limit_store_errors_total', help: 'Rate-limit checks that passed because the shared store failed (fail-open).', registers: [registry] });
  let lastWarning = 0;
  const onStoreError = (error: unknown) => {
    storeErrors.inc();
    // One line per 10 s: a Redis outage must not flood the logs at request rate.
    if (Date.now() - lastWarning > 10_000) {
      lastWarning = Date.now();
      logger.warn({ err: error }, 'rate-limit store failed; letting requests through (fail-open)');
    }
  };
  const store = (name: string): Store | undefined => (redis ? new RedisRateLimitStore(redis, `${config.RATE_LIMIT_PREFIX}${name}:`, onStoreError) : undefined);
  const countRejections = (limit: string): RequestHandler => (_req, res, next) => {
    res.on('finish', () => res.statusCode === 429 && rejected.inc({ limit }));
    next();
  };
  const settings = { windowMs: config.RATE_LIMIT_WINDOW_MS, anonymous: config.RATE_LIMIT_ANONYMOUS, user: config.RATE_LIMIT_USER, apiKey: config.RATE_LIMIT_API_KEY, auth: config.RATE_LIMIT_AUTH, store };
  return {
    quota: [countRejections('quota'), quotaLimiter(settings)],
    auth: [countRejections('auth'), authLimiter(settings)],
  };
}
