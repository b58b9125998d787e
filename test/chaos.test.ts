import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChaosReport } from '../scripts/chaos/campaign';

const ROOT = path.resolve(__dirname, '..');

/**
 * The short fault campaign, as CI runs it: `npm run chaos -- --short` on a
 * fresh platform (SIGKILL of orders, a shard primary down, every Redis node
 * paused, the edge's SIGTERM under load, malformed input), reconciled
 * against the databases. The command exits 1 when an invariant breaks; the
 * report is read back so a failure says which.
 */
describe('npm run chaos -- --short', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tessera-chaos-'));
  chmodSync(dataDir, 0o755);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  test('when faults hit the platform under load, then nothing acknowledged is lost or doubled, nothing crashes, errors stay bounded and bad input gets no 5xx', async () => {
    const report = path.join(dataDir, 'report.json');
    let output = '';
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/chaos/cli.ts', '--short', '--data-dir', path.join(dataDir, 'platform'), '--json', report], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      child.once('exit', resolve);
    });
    expect(existsSync(report) ? '' : output.slice(-3000)).toBe('');
    const r = JSON.parse(readFileSync(report, 'utf8')) as ChaosReport;

    expect(r.violations).toEqual([]);
    expect(code).toBe(0);
    expect(r.faults.map((f) => f.fault)).toEqual(['kill -9 orders', 'shard-b primary down', 'Redis paused', 'edge SIGTERM']);
    for (const f of r.faults) {
      expect(`${f.fault}: lost ${f.lost}, crashes ${f.crashes.join(',')}, spill ${f.spill}, drain ${f.drainErrors ?? 0}`).toBe(`${f.fault}: lost 0, crashes , spill 0, drain 0`);
      expect(f.ok).toBeGreaterThan(50);
      expect(f.errorWindowMs).toBeLessThanOrEqual(f.boundMs);
    }
    // The faults did bite: a killed orders and a stopped primary fail some writes, a stopped edge refuses connections.
    expect(r.faults.find((f) => f.fault === 'edge SIGTERM')!.refused).toBeGreaterThan(0);
    expect(r.reconciliation).toMatchObject({ lost: 0, divergent: 0, unresolved: 0, stuckPending: [], duplicates: [], inconsistencies: [] });
    expect(r.reconciliation.orders).toBeGreaterThan(100);
    expect(r.badInput.requests).toBeGreaterThan(200);
    expect(r.badInput.serverErrors).toEqual([]);
  }, 420_000);
});
