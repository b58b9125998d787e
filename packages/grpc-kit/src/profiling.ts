import { writeFileSync, mkdirSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';
import type { Logger } from '@tessera/logging';

/**
 * On-demand CPU profiles of a live process: the first SIGUSR2 starts the V8
 * profiler, the next writes `<dir>/<name>-<time>.cpuprofile` (open it in
 * Chrome DevTools or summarise it with the HTTP bench). Off unless a
 * directory is configured, so production pays nothing.
 */
export function profileOnSignal(dir: string, name: string, logger: Logger): void {
  let session: Session | undefined;
  let running = false;
  process.on('SIGUSR2', () => {
    // The inspector session opens on first use: a process never profiled never has one.
    if (!session) {
      session = new Session();
      session.connect();
    }
    const s = session;
    if (!running) {
      s.post('Profiler.enable', () => s.post('Profiler.start', () => logger.info('CPU profile started (SIGUSR2 again to write it)')));
      running = true;
      return;
    }
    running = false;
    s.post('Profiler.stop', (error, result) => {
      if (error) return logger.warn({ err: error }, 'CPU profile failed');
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `${name}-${Date.now()}.cpuprofile`);
      writeFileSync(file, JSON.stringify(result.profile));
      logger.info({ file }, 'CPU profile written');
    });
  });
}
