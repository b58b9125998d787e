import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const FIXTURE = 'test/fixtures/layer-violations';

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

/** Runs dependency-cruiser with the repository's rules over `paths`; returns the violations. */
function cruise(paths: string[]): Violation[] {
  const run = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs'), '--config', '.dependency-cruiser.cjs', '--output-type', 'json', ...paths], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (!run.stdout) throw new Error(`dependency-cruiser did not run: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('the rules of the layers (ARCHITECTURE.md)', () => {
  test('when the sources are cruised, then no module breaks a layer rule or sits in a cycle', () => {
    const violations = cruise(['edge/src', 'monolith/src', 'services', 'packages', 'scripts', 'bench', 'test', '--exclude', FIXTURE]);
    expect(violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  }, 60_000);

  test('when a module breaks each rule on purpose, then each rule reports it', () => {
    const broken = new Set(cruise([FIXTURE]).map((v) => v.rule.name));
    expect([...broken].sort()).toEqual(
      ['adapters-do-not-call-back-up', 'domain-is-pure', 'domain-uses-data-types-only', 'generated-code-through-contracts', 'handlers-go-through-the-domain', 'no-cycles', 'monolith-composes-parts', 'packages-stand-alone', 'services-talk-over-grpc'].sort(),
    );
  }, 60_000);
});
