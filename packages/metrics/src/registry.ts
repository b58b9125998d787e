import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * A registry per process with the default process metrics (CPU, memory, event
 * loop lag, GC). Owned by main.ts and passed to whatever records metrics; a
 * registry rather than prom-client's global one, so tests can start several
 * servers in one process without clashing.
 */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
