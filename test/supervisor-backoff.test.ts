import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { lastWords, nextRestart, Supervisor } from '../scripts/runner/supervisor';

describe('the runner restarting a crashed process', () => {
  test('when it crashes again and again at start, then the wait doubles from 0.5 s up to 30 s', () => {
    let streak = 0;
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      const next = nextRestart(streak, 1_000);
      streak = next.streak;
      delays.push(next.delayMs);
    }
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  test('when it ran healthy for a minute before crashing, then the backoff starts over', () => {
    expect(nextRestart(8, 59_000).delayMs).toBe(30_000);
    expect(nextRestart(8, 60_000)).toEqual({ streak: 1, delayMs: 500 });
  });
});

describe('the runner reporting a process that dies while starting', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-supervisor-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('when a service refuses its configuration, then the console names the variable and why, not only the log file', async () => {
    // What runMain writes for a ConfigError, after an ordinary log line.
    const entry = path.join(dir, 'refuses.js');
    writeFileSync(entry, `console.log(JSON.stringify({ level: 'info', msg: 'starting' })); console.error('users: invalid configuration:\\n  - ADMIN_PASSWORD: Too small: expected string to have >=12 characters (got "***")'); process.exit(1);`);
    const supervisor = new Supervisor(() => undefined);
    const started = supervisor.start({ name: 'users', entry: path.relative(path.resolve(__dirname, '..'), entry), env: {}, port: 1, logFile: path.join(dir, 'users.log') });
    await expect(started).rejects.toThrow(/^users exited while starting: users: invalid configuration: - ADMIN_PASSWORD: Too small: expected string to have >=12 characters \(got "\*\*\*"\); see /);
    await supervisor.stopAll();
  });

  test('when a process logs a fatal error and exits, then that line is the reason given', () => {
    const log = path.join(dir, 'edge.log');
    writeFileSync(log, [JSON.stringify({ level: 'info', msg: 'edge listening' }), JSON.stringify({ level: 'fatal', msg: 'failed to start', err: { message: 'listen EADDRINUSE: address already in use 127.0.0.1:50050' } }), ''].join('\n'));
    expect(lastWords(log)).toBe(': failed to start: listen EADDRINUSE: address already in use 127.0.0.1:50050');
    expect(lastWords(path.join(dir, 'missing.log'))).toBe('');
  });
});
