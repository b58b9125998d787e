import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import { Counter, type Registry } from 'prom-client';
import { AppError, Code } from '@tessera/errors';
import type { Logger } from '@tessera/logging';
import type { Principal } from '../auth/principal';
import type { EdgeConfig } from '../config';
import { problem } from '../errors/problem';
import { clientKey } from './client-key';
import { rateLimitHeaders, SharedRateLimiter, type LimitDecision } from './shared-limiter';

export interface RateLimits {
  /** Per principal (per client address when anonymous) on every API route. */
  quota: preHandlerAsyncHookHandler;
  /** The strict per-address limit on login, registration and the token endpoint, whoever the caller claims to be. */
  auth: preHandlerAsyncHookHandler;
  /**
   * Failed authentications per client address: `beforeAuthentication` refuses
   * (429) an address that has used its budget, before any lookup;
   * `authenticationFailed` spends from it.
   */
  failures: {
    beforeAuthentication(request: FastifyRequest): void;
    authenticationFailed(request: FastifyRequest): Promise<void>;
  };
  /**
   * The same limits, on the same shared budgets, for gRPC calls through the
   * gateway: a refusal throws RESOURCE_EXHAUSTED with the retry delay.
   */
  calls: {
    quota(principal: Principal | undefined, address: string): Promise<void>;
    auth(address: string): Promise<void>;
    beforeAuthentication(address: string): void;
    authenticationFailed(address: string): Promise<void>;
  };
}

/**
 * The edge's limits over one shared limiter (Redis, leased in batches; see
 * SharedRateLimiter), with the draft RateLimit headers, Retry-After and a 429
 * problem, and rejections and store failures counted.
 */
export function createRateLimits(deps: { config: EdgeConfig; logger: Logger; registry: Registry; redis: Redis | Cluster | undefined }): RateLimits {
  const { config, logger, registry } = deps;
  const rejected = new Counter({ name: 'http_rate_limited_total', help: 'Requests refused by a rate limit.', labelNames: ['limit'], registers: [registry] });
  const storeErrors = new Counter({ name: 'http_rate_limit_store_errors_total', help: 'Rate-limit leases served from the per-process budget because the shared store failed.', registers: [registry] });
  let lastWarning = 0;
  const onStoreError = (error: unknown) => {
    storeErrors.inc();
    // One line per 10 s: a Redis outage must not flood the logs at request rate.
    if (Date.now() - lastWarning > 10_000) {
      lastWarning = Date.now();
      logger.warn({ err: error }, 'rate-limit store failed; each edge enforces the limits on its own until it is back');
    }
  };
  const windowMs = config.RATE_LIMIT_WINDOW_MS;
  const limiter = (name: string) => new SharedRateLimiter({ windowMs, redis: deps.redis, prefix: `${config.RATE_LIMIT_PREFIX}${name}:`, onStoreError });

  const enforce = (name: string, limiter: SharedRateLimiter, detail: string) => async (key: string, limit: number, reply: FastifyReply) => {
    const decision = await limiter.take(key, limit);
    const headers = rateLimitHeaders(name, windowMs, decision);
    if (decision.allowed) {
      reply.headers(headers);
      return;
    }
    rejected.inc({ limit: name });
    // The problem carries them: the error handler sets a problem's headers.
    throw problem(429, detail, [], headers);
  };
  const [quotaLimiter, authLimiter] = [limiter('quota'), limiter('auth')];
  const quota = enforce('quota', quotaLimiter, 'rate limit exceeded; see the RateLimit and Retry-After headers');
  const auth = enforce('auth', authLimiter, 'too many attempts; see the Retry-After header');
  const failures = limiter('auth-failures');
  const failureKey = (request: FastifyRequest) => `fail-ip:${clientKey(request.ip)}`;
  const limitFor = (principal: Principal | undefined) => (!principal ? config.RATE_LIMIT_ANONYMOUS : principal.kind === 'user' ? config.RATE_LIMIT_USER : config.RATE_LIMIT_API_KEY);
  const refuseCall = (name: string, decision: LimitDecision, message: string) => {
    rejected.inc({ limit: name });
    return new AppError(Code.RESOURCE_EXHAUSTED, message, [], { retryAfterMs: Math.max(1_000, decision.resetMs) });
  };
  const enforceCall = async (name: string, l: SharedRateLimiter, key: string, limit: number, message: string) => {
    const decision = await l.take(key, limit);
    if (!decision.allowed) throw refuseCall(name, decision, message);
  };
  const tooManyFailures = (decision: LimitDecision) => {
    rejected.inc({ limit: 'auth-failures' });
    return problem(429, 'too many failed authentications from this address; see the Retry-After header', [], rateLimitHeaders('auth-failures', windowMs, decision));
  };

  return {
    quota: async (request: FastifyRequest, reply: FastifyReply) => {
      const principal = request.ctx.principal;
      await quota(principal?.key ?? `ip:${clientKey(request.ip)}`, limitFor(principal), reply);
    },
    auth: async (request: FastifyRequest, reply: FastifyReply) => {
      await auth(`auth-ip:${clientKey(request.ip)}`, config.RATE_LIMIT_AUTH, reply);
    },
    failures: {
      beforeAuthentication(request) {
        const refusal = failures.refusing(failureKey(request), config.RATE_LIMIT_AUTH_FAILURES);
        if (refusal) throw tooManyFailures(refusal);
      },
      async authenticationFailed(request) {
        const decision = await failures.take(failureKey(request), config.RATE_LIMIT_AUTH_FAILURES);
        if (!decision.allowed) throw tooManyFailures(decision);
      },
    },
    calls: {
      quota: (principal, address) => enforceCall('quota', quotaLimiter, principal?.key ?? `ip:${clientKey(address)}`, limitFor(principal), 'rate limit exceeded; retry after the delay given'),
      auth: (address) => enforceCall('auth', authLimiter, `auth-ip:${clientKey(address)}`, config.RATE_LIMIT_AUTH, 'too many attempts; retry after the delay given'),
      beforeAuthentication(address) {
        const refusal = failures.refusing(`fail-ip:${clientKey(address)}`, config.RATE_LIMIT_AUTH_FAILURES);
        if (refusal) throw refuseCall('auth-failures', refusal, 'too many failed authentications from this address; retry after the delay given');
      },
      async authenticationFailed(address) {
        const decision = await failures.take(`fail-ip:${clientKey(address)}`, config.RATE_LIMIT_AUTH_FAILURES);
        if (!decision.allowed) throw refuseCall('auth-failures', decision, 'too many failed authentications from this address; retry after the delay given');
      },
    },
  };
}
