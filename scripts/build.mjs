// Production build: one bundle per service, `services/<name>/dist/main.js` (and `edge/dist/main.js`).
// Tessera's own code (@tessera/* through tsconfig paths) is bundled; third-party
// packages stay external and come from node_modules (npm ci --omit=dev in the
// image). The bundle sits at the same depth as packages/*/src, so paths derived
// from __dirname (proto/, migrations/) resolve the same way in the image.
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';

const targets = process.argv.slice(2).length ? process.argv.slice(2) : [...readdirSync('services'), 'edge'];
// The edge lives in edge/, the services in services/<name>/.
const dirOf = (name) => (name === 'edge' ? 'edge' : `services/${name}`);

const externalThirdParty = {
  name: 'external-third-party',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@tessera/') ? undefined : { external: true }));
  },
};

for (const name of targets) {
  const started = Date.now();
  await build({
    entryPoints: [`${dirOf(name)}/src/main.ts`],
    outfile: `${dirOf(name)}/dist/main.js`,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    tsconfig: 'tsconfig.json',
    plugins: [externalThirdParty],
    logLevel: 'warning',
  });
  console.log(`built ${dirOf(name)}/dist/main.js in ${Date.now() - started} ms`);
}
