import type { Logger } from '@tessera/logging';
import { PollLoop } from '@tessera/workers';
import type { OrdersDeps } from '../domain/orders';
import { recoverStaleOrders } from '../domain/recovery';

export interface RecoveryWorkerOptions {
  /** Physical clusters to sweep, one after the other each round. */
  clusters: readonly string[];
  deps: Omit<OrdersDeps, 'keyLeaseMs'>;
  logger: Logger;
  /** An order pending for longer than this is presumed abandoned by its request. */
  staleMs: number;
  intervalMs: number;
}

/**
 * Finishes orders that a crash or timeout left pending, on every cluster, at
 * a fixed interval. Every replica may run it: stale orders are leased, so two
 * workers never advance the same order at once.
 */
export function startRecoveryWorker(o: RecoveryWorkerOptions): { stop(): Promise<void> } {
  const loop = new PollLoop(
    async () => {
      for (const cluster of o.clusters) {
        await recoverStaleOrders(cluster, o.deps, { staleMs: o.staleMs, logger: o.logger }).catch((error: unknown) => o.logger.warn({ err: error, cluster }, 'recovery round failed'));
      }
      return false;
    },
    () => o.intervalMs,
    (error) => o.logger.warn({ err: error }, 'recovery round failed'),
  );
  loop.start();
  return { stop: () => loop.stop() };
}
