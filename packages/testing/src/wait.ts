import type { Registry } from 'prom-client';
import { waitFor } from '@tessera/local-infra';

/** Sum of a metric's series whose labels include `labels` (counters and gauges). */
export async function metricSum(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return ((metric?.values ?? []) as { value: number; labels: Record<string, string | number> }[])
    .filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
    .reduce((sum, v) => sum + v.value, 0);
}

/**
 * Polls `probe` until it returns a value (not undefined), or fails naming
 * `what` after `timeoutMs`. A probe that throws counts as "not yet"; its last
 * error is named in the failure.
 */
export function eventually<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  return waitFor(what, async () => probe(), timeoutMs, intervalMs);
}

/** Polls `probe` until it is true, or fails naming `what` after `timeoutMs`. */
export async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 10_000, intervalMs = 25): Promise<void> {
  await eventually(what, async () => ((await probe()) ? true : undefined), timeoutMs, intervalMs);
}
