import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

interface AclUser {
  keys?: string[];
  readKeys?: string[];
  channels?: string[];
}

/** The chart's copy is the source (helm/tessera/files/redis-acl.yaml). */
export const REDIS_ACL_FILE = path.resolve(__dirname, '..', '..', '..', 'helm', 'tessera', 'files', 'redis-acl.yaml');

export function loadRedisAcl(): { commands: string; users: Record<string, AclUser> } {
  return parse(readFileSync(REDIS_ACL_FILE, 'utf8')) as { commands: string; users: Record<string, AclUser> };
}

/**
 * One ACL rule line per user, as redis-server takes it (`user NAME …` in a
 * config or ACL file; `--user NAME …` on its command line): the password
 * given, its keys and channels, the common commands. The default user keeps
 * every right behind `adminPassword` (for operators and cluster setup).
 */
export function redisAclRules(passwords: Record<string, string>, adminPassword: string): string[][] {
  const acl = loadRedisAcl();
  const rules = Object.entries(acl.users).map(([name, user]) => {
    const password = passwords[name];
    if (!password) throw new Error(`no Redis password for ${name}`);
    return [name, 'reset', 'on', `>${password}`, ...(user.keys ?? []).map((k) => `~${k}`), ...(user.readKeys ?? []).map((k) => `%R~${k}`), 'resetchannels', ...(user.channels ?? []).map((c) => `&${c}`), ...acl.commands.split(' ')];
  });
  return [['default', 'on', `>${adminPassword}`, '~*', '&*', '+@all'], ...rules];
}
