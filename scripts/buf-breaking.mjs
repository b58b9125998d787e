// `buf breaking` for proto/ against a git ref: BUF_AGAINST when set; else
// `main` from a feature branch, or the previous commit when on main itself
// (a clean clone of main, as CI runs it).
import { execFileSync } from 'node:child_process';

const git = (...args) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
let against = process.env.BUF_AGAINST;
if (!against) {
  let branch;
  try {
    branch = git('rev-parse', '--abbrev-ref', 'HEAD');
  } catch {
    console.log('proto:breaking: not a git checkout; skipped');
    process.exit(0);
  }
  against = branch === 'main' ? 'HEAD~1' : 'main';
}
try {
  git('cat-file', '-e', `${against}:proto/buf.yaml`);
} catch {
  console.log(`proto:breaking: ${against} has no proto/ module yet; nothing to compare`);
  process.exit(0);
}
try {
  execFileSync('npx', ['buf', 'breaking', 'proto', '--against', `.git#ref=${against},subdir=proto`], { stdio: 'inherit' });
} catch {
  console.error(`proto:breaking: the changes above break wire or source compatibility with ${against}; add new fields, messages or a v2 package instead`);
  process.exit(1);
}
console.log(`proto:breaking: no breaking changes against ${against}`);
