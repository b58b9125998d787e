import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { scratchDir } from './shared-infra';

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * Runs a service's real entry point (`services/<name>/src/main.ts`) as its own
 * OS process, for tests that SIGKILL it. Resolves once its gRPC port accepts
 * connections; its logs go to a file in the run's temp folder.
 */
export async function startServiceProcess(name: string, env: Record<string, string>, port: number): Promise<ServiceProcess> {
  const logFile = path.join(scratchDir(`${name}-log`), `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'services', name, 'src', 'main.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...env, GRPC_PORT: String(port), GRPC_HOST: '127.0.0.1', METRICS_PORT: '0', DRAIN_DELAY_MS: '0', LOG_LEVEL: env.LOG_LEVEL ?? 'info' },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited during start; see ${logFile}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error(`${name} did not listen on ${port} within 30 s; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    logFile,
    exited,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
