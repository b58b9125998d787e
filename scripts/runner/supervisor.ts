import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

export interface ProcessSpec {
  name: string;
  /** Entry file relative to the repository root: a .ts source (run with tsx) or a production bundle (.js, plain node). */
  entry: string;
  env: Record<string, string>;
  port: number;
  /** Where it serves /metrics (shown in the status table and status.json). */
  metricsPort?: number;
  logFile: string;
}

interface Managed {
  spec: ProcessSpec;
  child?: ChildProcess;
  restarts: number;
  /** Crashes in a row without a healthy run between them: what the backoff grows with. */
  streak: number;
  launchedAt: number;
  healthy: boolean;
  /** The pending restart after a crash, if any. */
  restart?: NodeJS.Timeout;
}

/**
 * When to restart after a crash: 0.5 s doubling per crash in a row, up to
 * 30 s; a process that ran for `healthyAfterMs` before it died counts as
 * having recovered, so its next crash starts the backoff over.
 */
export function nextRestart(previousStreak: number, ranForMs: number, healthyAfterMs = 60_000): { streak: number; delayMs: number } {
  const streak = ranForMs >= healthyAfterMs ? 1 : previousStreak + 1;
  return { streak, delayMs: Math.min(30_000, 500 * 2 ** Math.min(streak - 1, 6)) };
}

/**
 * Runs each service as its own process, logs to a file, restarts one that
 * crashes (with backoff, reported on the console), and stops them all with
 * SIGTERM (SIGKILL after a grace period).
 */
export class Supervisor {
  private readonly managed = new Map<string, Managed>();
  private stopping = false;
  /** Every exit the supervisor did not ask for, in order: what a fault campaign counts as crashes. */
  readonly exits: { name: string; at: number; code: number | null; signal: NodeJS.Signals | null }[] = [];

  /** `report` gets the one-line notice of each exit and restart (the console by default). */
  constructor(private readonly report: (line: string) => void = (line) => process.stdout.write(line)) {}

  async start(spec: ProcessSpec): Promise<void> {
    const m: Managed = { spec, restarts: 0, streak: 0, launchedAt: Date.now(), healthy: false };
    this.managed.set(spec.name, m);
    this.launch(m);
    await waitForPort(spec.port, 60_000, () => m.child?.exitCode !== null && m.child?.exitCode !== undefined, spec);
    m.healthy = true;
  }

  status(): { name: string; port: number; metricsPort: number | undefined; pid: number | undefined; restarts: number; logFile: string }[] {
    return [...this.managed.values()].map((m) => ({ name: m.spec.name, port: m.spec.port, metricsPort: m.spec.metricsPort, pid: m.child?.pid, restarts: m.restarts, logFile: m.spec.logFile }));
  }

  /** Sends a signal to one process by name (fault injection: SIGKILL, SIGSTOP, SIGCONT, SIGTERM). */
  signal(name: string, signal: NodeJS.Signals): number {
    const child = this.managed.get(name)?.child;
    if (!child?.pid) throw new Error(`no running process named ${name}`);
    process.kill(child.pid, signal);
    return child.pid;
  }

  pids(): number[] {
    return [...this.managed.values()].map((m) => m.child?.pid).filter((p): p is number => p !== undefined);
  }

  private launch(m: Managed): void {
    const fd = openSync(m.spec.logFile, 'a');
    // Bundles run as in the image: without --enable-source-maps (see the Dockerfile; NODE_OPTIONS can turn it on).
    const args = [...(m.spec.entry.endsWith('.ts') ? ['--import', 'tsx', path.join(ROOT, m.spec.entry)] : [path.join(ROOT, m.spec.entry)])];
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...m.spec.env }, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    m.child = child;
    m.launchedAt = Date.now();
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      this.exits.push({ name: m.spec.name, at: Date.now(), code, signal });
      m.restarts++;
      const { streak, delayMs: delay } = nextRestart(m.streak, Date.now() - m.launchedAt);
      m.streak = streak;
      this.report(`\n⚠ ${m.spec.name} exited (${signal ?? `code ${code}`}); restarting in ${(delay / 1000).toFixed(1)}s — see ${m.spec.logFile}\n`);
      // Not unref'd: a pending restart must keep the runner alive (with one process, as in monolith mode, it is all there is).
      m.restart = setTimeout(() => !this.stopping && this.launch(m), delay);
    });
  }

  async stopAll(timeoutMs = 15_000): Promise<void> {
    this.stopping = true;
    for (const m of this.managed.values()) clearTimeout(m.restart);
    const children = [...this.managed.values()].map((m) => m.child).filter((c): c is ChildProcess => c !== undefined && c.exitCode === null && c.signalCode === null);
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  }
}

export function portAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host, () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitForPort(port: number, timeoutMs: number, died: () => boolean, spec: ProcessSpec): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await portAnswers(port))) {
    if (died()) throw new Error(`${spec.name} exited while starting${lastWords(spec.logFile)}; see ${spec.logFile}`);
    if (Date.now() > deadline) throw new Error(`${spec.name} did not listen on port ${port} within ${timeoutMs / 1000} s; see ${spec.logFile}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A friendly error when a fixed port is taken. */
export async function assertPortFree(port: number, what: string): Promise<void> {
  if (port === 0) return;
  const free = await new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
  if (!free) throw new Error(`port ${port} (${what}) is already in use: stop what uses it (e.g. \`lsof -i :${port}\`) or pick another with --port`);
}

/**
 * Why a process that died said it died: its last fatal or error log line, or the
 * plain text it wrote last (a configuration error names each bad variable), so
 * the console says which setting is wrong instead of only where the log is.
 */
export function lastWords(logFile: string): string {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8').slice(-8_192);
  } catch {
    return '';
  }
  const lines = text.split('\n').filter((line) => line.trim());
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (!line.startsWith('{')) {
      // Plain text: the block it belongs to (a config error is a title line and one line per variable).
      let start = i;
      while (start > 0 && !lines[start - 1]!.startsWith('{') && i - start < 8) start--;
      return `: ${lines.slice(start, i + 1).map((l) => l.trim()).join(' ')}`;
    }
    try {
      const entry = JSON.parse(line) as { level?: string | number; msg?: string; err?: { message?: string } };
      if (entry.level === 'fatal' || entry.level === 'error' || (typeof entry.level === 'number' && entry.level >= 50)) return `: ${[entry.msg, entry.err?.message].filter(Boolean).join(': ')}`;
    } catch {
      continue;
    }
  }
  return '';
}
