// Fails when packages/contracts/src/gen differs from what proto/ generates, so
// the committed contracts can never drift from the .proto files.
import { execFileSync } from 'node:child_process';

const out = 'packages/contracts/src/gen';
try {
  execFileSync('npx', ['buf', 'generate'], { cwd: 'proto', stdio: 'inherit' });
} catch {
  console.error('proto:check: buf generate failed');
  process.exit(1);
}
let status;
try {
  status = execFileSync('git', ['status', '--porcelain', '--', out], { encoding: 'utf8' });
} catch {
  console.log('proto:check: not a git checkout; generated code refreshed, nothing to compare against');
  process.exit(0);
}
if (status.trim()) {
  console.error(`proto:check: generated code is stale; run \`npm run proto:generate\` and commit:\n${status}`);
  process.exit(1);
}
console.log('proto:check: generated code matches proto/');
