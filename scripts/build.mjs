// Production build: one bundle per service, `services/<name>/dist/main.js` (and `edge/dist/main.js`).
// Everything is bundled, Tessera's own code and every third-party package (all
// pure JavaScript), so the runtime image holds main.js, its migrations and the
// protos, and no node_modules: no dependency can go missing between the build
// stage and the runtime (npm's nested copies and `npm prune` once dropped one).
// The bundle sits at the same depth as packages/*/src, so paths derived from
// __dirname (proto/, migrations/) resolve the same way in the image.
import { build } from 'esbuild';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const protobuf = require('protobufjs');

const targets = process.argv.slice(2).length ? process.argv.slice(2) : [...readdirSync('services'), 'edge', 'monolith'];
// The edge lives in edge/, the monolith (every service and the edge in one process) in monolith/, the services in services/<name>/.
const dirOf = (name) => (name === 'edge' || name === 'monolith' ? name : `services/${name}`);

// Optional peers that Tessera never loads (pino's pretty printer):
// left out, so a require() of them fails only if something really calls it.
const NEVER_LOADED = ['pino-pretty'];

// grpc-health-check and @grpc/reflection read their .proto files from their own package folder at
// run time, which a bundle no longer has. Each of those loadSync calls becomes fromJSON with the
// same definitions, parsed here at build time (keepCase as each module asks for).
const PROTO_FILES = [
  { module: /grpc-health-check[\\/]build[\\/]src[\\/]health\.js$/, call: /\(0, proto_loader_1\.loadSync\)\('health\/v1\/health\.proto', /, proto: '../../proto/health/v1/health.proto', fn: '(0, proto_loader_1.fromJSON)', keepCase: true },
  { module: /@grpc[\\/]reflection[\\/]build[\\/]src[\\/]implementations[\\/]reflection-v1\.js$/, call: /protoLoader\.loadSync\(protoPath, /, proto: '../../proto/grpc/reflection/v1/reflection.proto', fn: 'protoLoader.fromJSON', keepCase: false },
  { module: /@grpc[\\/]reflection[\\/]build[\\/]src[\\/]implementations[\\/]reflection-v1alpha\.js$/, call: /protoLoader\.loadSync\(protoPath, /, proto: '../../proto/grpc/reflection/v1alpha/reflection.proto', fn: 'protoLoader.fromJSON', keepCase: false },
];
const protosInlined = {
  name: 'protos-inlined',
  setup(b) {
    for (const file of PROTO_FILES) {
      b.onLoad({ filter: file.module }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (!file.call.test(source)) throw new Error(`${args.path}: the loadSync call to inline was not found (did the package change?)`);
        const root = new protobuf.Root().loadSync(path.resolve(path.dirname(args.path), file.proto), { keepCase: file.keepCase });
        return { contents: source.replace(file.call, `${file.fn}(${JSON.stringify(root.toJSON())}, `), loader: 'js' };
      });
    }
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
    external: NEVER_LOADED,
    plugins: [protosInlined],
    logLevel: 'warning',
  });
  console.log(`built ${dirOf(name)}/dist/main.js in ${Date.now() - started} ms`);
}
