import { chmodSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { ENV } from './env';

export function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests through jest so the global setup starts the servers`);
  return value;
}

export const sharedRedisUrl = (): string => required(ENV.redis);

export const sharedRedisClusterNodes = (): { host: string; port: number }[] => JSON.parse(required(ENV.redisCluster)) as { host: string; port: number }[];

/** A fresh folder under the run's temp root, removed with it at teardown. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(path.join(required(ENV.root), `${prefix}-`));
  chmodSync(dir, 0o755);
  return dir;
}
