/**
 * `npm run api:generate`: writes the typed REST client's types from the
 * edge's v2 OpenAPI document. `npm run api:check` (part of `npm test`) fails
 * when the committed types differ from what the document generates, so the
 * client can never drift from the edge.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { clientTypes, GENERATED } from './generate';

void (async () => {
  const types = await clientTypes();
  const where = path.relative(process.cwd(), GENERATED);
  if (process.argv.includes('--check')) {
    if (!existsSync(GENERATED) || readFileSync(GENERATED, 'utf8') !== types) {
      process.stderr.write(`api:check: ${where} is stale; run \`npm run api:generate\` and commit it\n`);
      process.exit(1);
    }
    process.stdout.write(`api:check: ${where} matches the edge's v2 document\n`);
    return;
  }
  writeFileSync(GENERATED, types);
  process.stdout.write(`wrote ${where}\n`);
})();
