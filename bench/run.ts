/**
 * `npm run bench`: benchmarks, apart from the tests. Each prints a table and
 * compares against a baseline measured in the same run, on the same machine.
 */
import { tokenReadsBench } from './token-reads.bench';

const benches: Record<string, () => Promise<void>> = { 'token-reads': tokenReadsBench };

async function main(): Promise<void> {
  const only = process.argv[2];
  for (const [name, run] of Object.entries(benches)) {
    if (only && only !== name) continue;
    console.log(`\n## ${name}\n`);
    await run();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
