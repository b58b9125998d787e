import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { freePort } from './free-port';
import { startProcess, waitFor, type ManagedProcess } from './processes';

export interface RedisNode {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly logFile: string;
  /** The redis-server process. */
  readonly pid: number;
  /** Cluster bus port, for cluster-enabled nodes. */
  readonly busPort?: number;
  stop(): Promise<void>;
  /** SIGSTOP: the TCP connection stays open and commands hang, like a stuck or swapping server. */
  pause(): void;
  resume(): void;
}

export interface RedisCluster {
  readonly nodes: RedisNode[];
  /** Startup nodes for ioredis' Cluster client. */
  readonly startupNodes: { host: string; port: number }[];
  stop(): Promise<void>;
}

const INSTALL_HINT =
  'redis-server was not found on PATH. Install it: `apt-get install redis-server` (Debian/Ubuntu), `dnf install redis` (Fedora), or `brew install redis` (macOS).';

/** ACL users for a redis-server: one rule per user (see redisAclRules), and the default user's password for our own clients. */
export interface RedisAcl {
  rules: string[][];
  adminPassword: string;
}

type RedisOptions = { dir: string; port?: number; host?: string; cluster?: boolean; acl?: RedisAcl };

/**
 * A throwaway redis-server (no persistence) on loopback; with `acl`, only its
 * users get in. On ports it picked itself, a server that exits at once (its
 * port taken between the pick and the bind) is started again on new ones.
 */
export async function startRedis(options: RedisOptions): Promise<RedisNode> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRedisOnce(options);
    } catch (error) {
      if (options.port !== undefined || attempt === 3 || !(error instanceof RedisExited)) throw error;
    }
  }
}

class RedisExited extends Error {}

async function startRedisOnce(options: RedisOptions): Promise<RedisNode> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  mkdirSync(options.dir, { recursive: true });
  const logFile = path.join(options.dir, `redis-${port}.log`);
  const args = ['--port', String(port), '--bind', host, '--save', '', '--appendonly', 'no', '--dir', options.dir, '--protected-mode', 'no'];
  // The cluster bus port defaults to port + 10000, which may be taken or past 65535 for a random port: pick it too.
  const busPort = options.cluster ? await freePort(host) : undefined;
  if (busPort) args.push('--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '5000', '--cluster-port', String(busPort));
  for (const rule of options.acl?.rules ?? []) args.push('--user', ...rule);
  if (options.acl) args.push('--masterauth', options.acl.adminPassword);
  const password = options.acl?.adminPassword;
  const proc: ManagedProcess = startProcess('redis-server', args, { logFile });
  // A missing binary surfaces as an 'error' event right after spawn.
  const spawnError = await Promise.race([proc.exited.then(() => undefined, (error: NodeJS.ErrnoException) => error), new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))]);
  if (spawnError) throw spawnError.code === 'ENOENT' ? new Error(INSTALL_HINT) : spawnError;
  const exitedEarly = new Promise<never>((_resolve, reject) => {
    const exited = () => reject(new RedisExited(`redis-server on port ${port} exited while starting; see ${logFile}`));
    proc.exited.then(exited, exited);
  });
  exitedEarly.catch(() => undefined); // it also settles at the normal stop
  const ready = waitFor(`redis-server on port ${port} (log: ${logFile})`, async () => {
    const client = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, ...(password ? { password } : {}) });
    try {
      await client.connect();
      return (await client.ping()) === 'PONG' ? true : undefined;
    } finally {
      client.disconnect();
    }
  }, 10_000);
  await Promise.race([ready, exitedEarly]);
  return {
    host,
    port,
    url: `redis://${host}:${port}`,
    logFile,
    pid: proc.pid,
    ...(busPort ? { busPort } : {}),
    async stop() {
      if (!proc.isRunning()) return;
      proc.resume();
      proc.signal('SIGTERM');
      // Also what keeps this process alive until the child is gone (children are unref'd).
      const timer = setTimeout(() => proc.signal('SIGKILL'), 10_000);
      await proc.exited.catch(() => undefined);
      clearTimeout(timer);
    },
    pause: () => proc.pause(),
    resume: () => proc.resume(),
  };
}

/**
 * A Redis Cluster of `masters` nodes (no replicas): each node gets an even
 * share of the 16384 slots, the nodes meet, and we wait for `cluster_state:ok`
 * on all of them. Done with plain cluster commands, so only redis-server is
 * needed (not redis-cli).
 */
export async function startRedisCluster(options: { dir: string; masters?: number; host?: string; acl?: RedisAcl }): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const nodes: RedisNode[] = [];
  try {
    for (let i = 0; i < masters; i++) nodes.push(await startRedis({ dir: options.dir, host: options.host, cluster: true, ...(options.acl ? { acl: options.acl } : {}) }));
    const password = options.acl?.adminPassword;
    const clients = nodes.map((n) => new Redis({ host: n.host, port: n.port, maxRetriesPerRequest: 1, ...(password ? { password } : {}) }));
    try {
      const perNode = Math.ceil(16384 / masters);
      await Promise.all(clients.map((c, i) => c.call('CLUSTER', 'ADDSLOTSRANGE', String(i * perNode), String(Math.min(16383, (i + 1) * perNode - 1)))));
      for (const node of nodes.slice(1)) await clients[0]!.call('CLUSTER', 'MEET', node.host, String(node.port), String(node.busPort));
      await waitFor('redis cluster state ok', async () => {
        const infos = await Promise.all(clients.map((c) => c.call('CLUSTER', 'INFO') as Promise<string>));
        const known = await Promise.all(clients.map((c) => c.call('CLUSTER', 'NODES') as Promise<string>));
        const ok = infos.every((info) => info.includes('cluster_state:ok')) && known.every((k) => k.trim().split('\n').length === masters);
        return ok ? true : undefined;
      }, 15_000);
    } finally {
      clients.forEach((c) => c.disconnect());
    }
  } catch (error) {
    await Promise.allSettled(nodes.map((n) => n.stop()));
    throw error;
  }
  return {
    nodes,
    startupNodes: nodes.map((n) => ({ host: n.host, port: n.port })),
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}
