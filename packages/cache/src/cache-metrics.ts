import { Counter, Gauge, type Registry } from 'prom-client';

export interface CacheMetrics {
  requests: Counter<'cache' | 'result'>;
  loads: Counter<'cache' | 'reason'>;
  errors: Counter<'cache' | 'op'>;
  lockWaits: Counter<'cache' | 'outcome'>;
  breakerState: Gauge<'cache'>;
}

const byRegistry = new WeakMap<Registry, CacheMetrics>();

export function cacheMetrics(registry: Registry): CacheMetrics {
  let m = byRegistry.get(registry);
  if (!m) {
    const registers = [registry];
    m = {
      requests: new Counter({ name: 'cache_requests_total', help: 'Cache lookups by result: hit, negative_hit, miss, bypass (breaker open).', labelNames: ['cache', 'result'], registers }),
      loads: new Counter({ name: 'cache_loads_total', help: 'Loads from the source of truth, by reason: miss, early_refresh, lease_wait_timeout, redis_error.', labelNames: ['cache', 'reason'], registers }),
      errors: new Counter({ name: 'cache_errors_total', help: 'Failed or timed-out cache store commands.', labelNames: ['cache', 'op'], registers }),
      lockWaits: new Counter({ name: 'cache_lock_waits_total', help: 'Misses that waited for another process holding the load lease, by outcome.', labelNames: ['cache', 'outcome'], registers }),
      breakerState: new Gauge({ name: 'cache_breaker_state', help: 'Circuit breaker around the cache store: 0 closed, 1 open, 2 half-open.', labelNames: ['cache'], registers }),
    };
    byRegistry.set(registry, m);
  }
  return m;
}
