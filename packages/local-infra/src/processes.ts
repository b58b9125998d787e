import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';

/** A server process the harness starts, signals, pauses and stops. */
export interface ManagedProcess {
  readonly pid: number;
  readonly exited: Promise<number | null>;
  signal(signal: NodeJS.Signals): void;
  /** SIGSTOP / SIGCONT the process and all its descendants: the TCP connections stay open and simply stop answering. */
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
  // The owner stops servers explicitly (stop(), test teardown, the runner's
  // Ctrl-C); a running server must not by itself keep a finished Node process
  // (a test run, a script) alive.
  child.unref();
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
  // Postgres puts every backend in a session of its own (setsid), so a process
  // group signal misses them: signal the whole tree, parent first so it cannot
  // fork new children in between.
  const tree = (signal: NodeJS.Signals) => {
    if (!running || child.pid === undefined) return;
    for (const pid of [child.pid, ...descendants(child.pid)]) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
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
    pause: () => tree('SIGSTOP'),
    resume: () => tree('SIGCONT'),
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

/** All descendants of `pid`, from /proc (Linux); empty where /proc is not available. */
function descendants(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const entry of entries) {
    try {
      // Field 4 of /proc/<pid>/stat is the parent pid; the command name (field 2) may hold spaces, so split after ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited while we looked
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}
