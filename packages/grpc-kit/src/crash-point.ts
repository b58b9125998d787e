import type { Logger } from '@tessera/logging';

/**
 * The hook crash tests use to kill a service at a named point of a use case
 * (`CRASH_AT=after_order_commit`): SIGKILL, no cleanup, as a power cut would.
 * A no-op unless `crashAt` names the point.
 */
export function crashPoint(crashAt: string | undefined, logger: Logger): (name: string) => void {
  return (name) => {
    if (crashAt !== name) return;
    logger.warn({ crashPoint: name }, 'CRASH_AT reached: killing the process');
    process.kill(process.pid, 'SIGKILL');
  };
}
