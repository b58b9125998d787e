// Stages what a service's runtime image holds, in one folder (the Dockerfile's
// build stage runs this; test/image-layout.test.ts runs the same and then the
// service from that folder alone):
//   main.js -> services/<name>/dist/main.js   (or edge/dist/main.js, monolith/dist/main.js)
//   services/<name>/dist/, services/<name>/migrations/   (or edge/dist/; monolith/dist/ and every
//                                                         service's migrations, where its bundle looks)
//   proto/                                                (for reflection)
// No node_modules: the bundles carry their dependencies (scripts/build.mjs).
import { cpSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';

const [service, out] = process.argv.slice(2);
const PARTS = ['users', 'catalog', 'orders', 'payments', 'notifications'];
const SERVICES = [...PARTS, 'edge', 'monolith'];
if (!SERVICES.includes(service ?? '') || !out) {
  console.error(`usage: node scripts/stage-image.mjs <${SERVICES.join('|')}> <out-dir>`);
  process.exit(2);
}
const dir = service === 'edge' || service === 'monolith' ? service : `services/${service}`;
if (!existsSync(`${dir}/dist/main.js`)) {
  console.error(`${dir}/dist/main.js is missing: run \`npm run build -- ${service}\` first`);
  process.exit(1);
}
mkdirSync(path.join(out, dir), { recursive: true });
cpSync(`${dir}/dist`, path.join(out, dir, 'dist'), { recursive: true });
for (const from of service === 'monolith' ? PARTS.map((p) => `services/${p}/migrations`) : [`${dir}/migrations`]) {
  if (existsSync(from)) cpSync(from, path.join(out, from), { recursive: true });
}
cpSync('proto', path.join(out, 'proto'), { recursive: true });
// A relative link, so the folder can be copied anywhere (the image puts it at /app).
symlinkSync(`${dir}/dist/main.js`, path.join(out, 'main.js'));
console.log(`staged ${service} in ${out}`);
