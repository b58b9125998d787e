import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface DataMetrics {
  queryDuration: Histogram<'cluster' | 'role' | 'kind'>;
  queryErrors: Counter<'cluster' | 'role' | 'kind' | 'reason'>;
  inUse: Gauge<'cluster' | 'role'>;
  poolMax: Gauge<'cluster' | 'role'>;
  replicaLag: Gauge<'cluster' | 'replica'>;
  replicaUp: Gauge<'cluster' | 'replica'>;
  fallbacks: Counter<'cluster' | 'reason'>;
}

const byRegistry = new WeakMap<Registry, DataMetrics>();

export function dataMetrics(registry: Registry): DataMetrics {
  let m = byRegistry.get(registry);
  if (!m) {
    const registers = [registry];
    m = {
      queryDuration: new Histogram({ name: 'db_query_duration_seconds', help: 'Time of a read or write unit of work, per cluster and role.', labelNames: ['cluster', 'role', 'kind'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers }),
      queryErrors: new Counter({ name: 'db_query_errors_total', help: 'Failed units of work, by reason (connection, timeout, query).', labelNames: ['cluster', 'role', 'kind', 'reason'], registers }),
      inUse: new Gauge({ name: 'db_pool_in_use', help: 'Units of work holding or waiting for a pooled connection.', labelNames: ['cluster', 'role'], registers }),
      poolMax: new Gauge({ name: 'db_pool_max', help: 'Configured pool size per node (replicas: per replica).', labelNames: ['cluster', 'role'], registers }),
      replicaLag: new Gauge({ name: 'db_replica_lag_seconds', help: 'Replay lag of a replica as of its last health check (0 when fully replayed).', labelNames: ['cluster', 'replica'], registers }),
      replicaUp: new Gauge({ name: 'db_replica_up', help: '1 when a replica answers its health check and is within the lag bound.', labelNames: ['cluster', 'replica'], registers }),
      fallbacks: new Counter({ name: 'db_replica_fallbacks_total', help: 'Reads meant for a replica that the primary served, by reason.', labelNames: ['cluster', 'reason'], registers }),
    };
    byRegistry.set(registry, m);
  }
  return m;
}
