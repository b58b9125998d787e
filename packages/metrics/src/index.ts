export { createRegistry } from './registry';
export { startMetricsServer, type MetricsServer } from './metrics-server';
export { Counter, Gauge, Histogram, Registry } from 'prom-client';
