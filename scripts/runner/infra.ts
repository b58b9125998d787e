import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { generateSigningKey } from '@tessera/auth';
import { loadRedisAcl, redisAclRules, startPostgresCluster, startRedis, startRedisCluster, type PostgresCluster, type RedisCluster, type RedisNode } from '@tessera/local-infra';

export const SHARDS = ['shard-a', 'shard-b'] as const;
/** Databases per service: catalog on shard-a's cluster only (small, read-heavy), the rest on every shard. */
export const DATABASES: Record<string, readonly string[]> = { users: SHARDS, orders: SHARDS, payments: SHARDS, notifications: SHARDS, catalog: ['shard-a'] };

/** The platform's Redis: one node, or the nodes of a cluster (for fault injection). */
export interface RunningRedis {
  /** As the default (admin) user: for tools, never for the services. */
  url: string;
  /** As one of the ACL users of helm/tessera/files/redis-acl.yaml (a process that uses Redis). */
  urlFor(user: string): string;
  description: string;
  nodes: RedisNode[];
  stop(): Promise<void>;
}

export async function startPostgres(dataDir: string, replicaDelayMs: number): Promise<Record<string, PostgresCluster>> {
  const clusters: Record<string, PostgresCluster> = {};
  try {
    for (const shard of SHARDS) clusters[shard] = await startPostgresCluster({ dataDir: path.join(dataDir, 'pg', shard), replicas: 1, replicaDelayMs });
  } catch (error) {
    await Promise.allSettled(Object.values(clusters).map((c) => c.stop()));
    throw error;
  }
  for (const [service, shards] of Object.entries(DATABASES)) {
    for (const shard of shards) {
      const sql = postgres(clusters[shard]!.primary.url(), { max: 1, onnotice: () => undefined });
      try {
        const [exists] = await sql`select 1 from pg_database where datname = ${service}`;
        if (!exists) await sql.unsafe(`create database "${service}"`);
      } finally {
        await sql.end();
      }
    }
  }
  return clusters;
}

export function hasRedisServer(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function startRedisFor(dataDir: string, cluster: boolean): Promise<RunningRedis | undefined> {
  if (!hasRedisServer()) {
    if (cluster) throw new Error('--redis-cluster needs redis-server on PATH: install it (`apt-get install redis-server`, `brew install redis`) or drop the flag');
    return undefined;
  }
  const dir = path.join(dataDir, 'redis');
  // A user per process that uses Redis, each limited to its keys and channels, as in the chart; new passwords each start.
  const secret = () => randomBytes(18).toString('base64url');
  const passwords = Object.fromEntries(Object.keys(loadRedisAcl().users).map((name) => [name, secret()]));
  const adminPassword = secret();
  const acl = { rules: redisAclRules(passwords, adminPassword), adminPassword };
  const as = (user: string, password: string) => `${encodeURIComponent(user)}:${encodeURIComponent(password)}@`;
  if (cluster) {
    const c: RedisCluster = await startRedisCluster({ dir, masters: 3, acl });
    const hosts = c.startupNodes.map((n) => `${n.host}:${n.port}`).join(',');
    return { url: `redis-cluster://${as('default', acl.adminPassword)}${hosts}`, urlFor: (user) => `redis-cluster://${as(user, passwords[user]!)}${hosts}`, description: `Redis Cluster, 3 masters (${c.startupNodes.map((n) => n.port).join(', ')}), a user per process`, nodes: c.nodes, stop: () => c.stop() };
  }
  const node: RedisNode = await startRedis({ dir, acl });
  const hostPort = `${node.host}:${node.port}`;
  return { url: `redis://${as('default', acl.adminPassword)}${hostPort}`, urlFor: (user) => `redis://${as(user, passwords[user]!)}${hostPort}`, description: `redis-server :${node.port}, a user per process`, nodes: [node], stop: () => node.stop() };
}

/** DATABASE_CLUSTERS for one service: its database on each cluster it lives on, primary and replica. */
export function databaseClusters(clusters: Record<string, PostgresCluster>, service: string): string {
  return JSON.stringify(DATABASES[service]!.map((shard) => ({ name: shard, primary: clusters[shard]!.primary.url(service), replicas: clusters[shard]!.replicas.map((r) => r.url(service)) })));
}

export interface Secrets {
  adminEmail: string;
  adminPassword: string;
  generated: boolean;
  signingKeys: { kid: string; privateKeyPem: string }[];
}

/** JWT signing keys and the admin account, kept in the data folder so tokens and logins survive restarts. */
export function loadSecrets(dataDir: string, env: NodeJS.ProcessEnv): Secrets {
  const file = path.join(dataDir, 'secrets.json');
  mkdirSync(dataDir, { recursive: true });
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Omit<Secrets, 'generated'>) : undefined;
  const fromEnv = env.TESSERA_ADMIN_EMAIL && env.TESSERA_ADMIN_PASSWORD ? { adminEmail: env.TESSERA_ADMIN_EMAIL, adminPassword: env.TESSERA_ADMIN_PASSWORD } : undefined;
  const secrets = {
    signingKeys: saved?.signingKeys ?? [generateSigningKey()],
    ...(fromEnv ?? saved ?? { adminEmail: 'admin@tessera.local', adminPassword: `Tessera-${Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString('base64url')}` }),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return { ...secrets, generated: !fromEnv };
}
