import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { users } from '@tessera/contracts';
import { createClient } from '@tessera/grpc-kit';
import { freePort } from '@tessera/local-infra';
import { createRegistry } from '@tessera/metrics';
import { testDatabase, type TestDatabase } from '@tessera/testing';

const ROOT = path.resolve(__dirname, '..');

describe('production build', () => {
  test('when the edge bundle is built and run with plain node, then it serves /healthz and exits 0 on SIGTERM', async () => {
    execFileSync(process.execPath, ['scripts/build.mjs', 'edge'], { cwd: ROOT, stdio: 'pipe' });
    const port = await freePort();
    const child = spawn(process.execPath, ['edge/dist/main.js'], { cwd: ROOT, env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), GRPC_PORT: '0', METRICS_PORT: '0', DRAIN_DELAY_MS: '0' }, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 20_000;
      let status = 0;
      while (status !== 200) {
        if (Date.now() > deadline) throw new Error('edge bundle did not start');
        status = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0);
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  let db: TestDatabase;

  beforeAll(async () => {
    db = await testDatabase('build');
  });

  afterAll(() => db.drop());

  test('when the users bundle is built and run with plain node, then `migrate` migrates, the server serves gRPC, and exits 0 on SIGTERM', async () => {
    execFileSync(process.execPath, ['scripts/build.mjs', 'users'], { cwd: ROOT, stdio: 'pipe' });
    const port = await freePort();
    const env = {
      PATH: process.env.PATH,
      DATABASE_CLUSTERS: JSON.stringify([{ name: 'main', primary: db.primaryUrl, replicas: [db.replicaUrl] }]),
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(port),
      METRICS_PORT: '0',
      DRAIN_DELAY_MS: '0',
      SCRYPT_LOG_N: '10',
    };
    // What the Helm hook Job runs before the Deployments roll.
    const migrated = execFileSync(process.execPath, ['services/users/dist/main.js', 'migrate'], { cwd: ROOT, env, encoding: 'utf8' });
    expect(migrated).toContain('"msg":"migrations applied"');
    const child = spawn(process.execPath, ['services/users/dist/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 20_000;
      while (!(await new Promise<boolean>((resolve) => net.connect(port, '127.0.0.1', function (this: net.Socket) { this.end(); resolve(true); }).once('error', () => resolve(false))))) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`bundle did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const client = createClient(users.UsersServiceClient, users.UsersServiceService, `127.0.0.1:${port}`, { registry: createRegistry() });
      const { user } = await client.createUser({ email: 'bundle@example.com', password: 'a long enough password', displayName: 'Bundle' });
      expect(user!.id).toMatch(/^usr_\d+$/);
      client.close();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('"msg":"stopped"');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
