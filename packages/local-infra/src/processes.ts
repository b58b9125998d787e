import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

/** A server process in its own process group, so pause/stop reach its children too (Postgres backends). */
export interface ManagedProcess {
  readonly pid: number;
  readonly exited: Promise<number | null>;
  signal(signal: NodeJS.Signals): void;
  /** SIGSTOP / SIGCONT the whole group: the TCP connections stay open and simply stop answering. */
  pause(): void;
  resume(): void;
  isRunning(): boolean;
}

export function startProcess(command: string, args: string[], options: { logFile: string; uid?: number; gid?: number; env?: NodeJS.ProcessEnv; cwd?: string }): ManagedProcess {
  const fd = openSync(options.logFile, 'a');
  const spawnOptions: SpawnOptions = {
    stdio: ['ignore', fd, fd],
    detached: true,
    env: options.env ?? process.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid } : {}),
  };
  let child: ChildProcess;
  try {
    child = spawn(command, args, spawnOptions);
  } finally {
    closeSync(fd);
  }
  let running = true;
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', (error) => {
      running = false;
      reject(error);
    });
    child.once('exit', (code) => {
      running = false;
      resolve(code);
    });
  });
  exited.catch(() => undefined);
  const group = (signal: NodeJS.Signals) => {
    if (!running || child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  return {
    get pid() {
      return child.pid ?? -1;
    },
    exited,
    signal: (signal) => {
      if (running && child.pid !== undefined) child.kill(signal);
    },
    pause: () => group('SIGSTOP'),
    resume: () => group('SIGCONT'),
    isRunning: () => running,
  };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String((lastError as Error).message ?? lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
