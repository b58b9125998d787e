/**
 * `npm run bench`: benchmarks, apart from the tests. Each prints a table and
 * compares against a baseline measured in the same run, on the same machine.
 */
import { httpBench } from './http/http.bench';
import { tokenReadsBench } from './token-reads.bench';
import { modesBench } from './modes/modes.bench';

const benches: Record<string, (args: string[]) => Promise<void>> = { 'token-reads': tokenReadsBench, http: httpBench, modes: modesBench };

async function main(): Promise<void> {
  const [only, ...args] = process.argv.slice(2);
  if (only && !benches[only]) throw new Error(`no bench named ${only}; there are: ${Object.keys(benches).join(', ')}`);
  for (const [name, run] of Object.entries(benches)) {
    // The long ones (a whole platform each) run only when named.
    if (only ? only !== name : name === 'http' || name === 'modes') continue;
    console.log(`\n## ${name}\n`);
    await run(args);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
