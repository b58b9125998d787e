import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const load = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/load/cli.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });

describe('npm run load, as a newcomer types it', () => {
  test('when asked for --help, then it prints the options and exits 0', () => {
    const res = load('--help');
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/--data-dir DIR/);
  });

  test('when given an unknown flag or a bad duration, then one clear line and the usage, exit 2, no stack trace', () => {
    for (const args of [['--bogus'], ['--duration', 'forever']]) {
      const res = load(...args);
      expect(res.status).toBe(2);
      expect(res.stderr).toMatch(/^npm run load: .+\n\nusage: npm run load/);
      expect(res.stderr).not.toMatch(/\n\s+at /);
    }
  });

  test('when no platform was started from the data folder, then it says to run npm start', () => {
    const res = load('--data-dir', path.join(ROOT, 'node_modules', '.cache', 'no-such-tessera'), '--duration', '1s');
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/run `npm start` first/);
  });
});
