import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { credentials, loadPackageDefinition, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { users } from '@tessera/contracts';
import { createRegistry } from '@tessera/metrics';
import { createClient } from '@tessera/grpc-kit';
import { until } from '@tessera/testing';

type HealthClient = Client & {
  check(req: { service: string }, opts: { deadline: number }, cb: (err: ServiceError | null, res: { status: string }) => void): void;
};

const HealthCtor = (() => {
  const def = loadSync(healthProtoPath, { enums: String });
  const pkg = loadPackageDefinition(def) as unknown as { grpc: { health: { v1: { Health: new (addr: string, creds: ReturnType<typeof credentials.createInsecure>) => HealthClient } } } };
  return pkg.grpc.health.v1.Health;
})();

function checkHealth(client: HealthClient, service = ''): Promise<string> {
  return new Promise((resolve, reject) =>
    client.check({ service }, { deadline: Date.now() + 1000 }, (err, res) => (err ? reject(err) : resolve(res.status))),
  );
}

function startFixture(): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fixtures', 'draining-server.ts')], {
    cwd: path.resolve(__dirname, '..', '..', '..'),
    env: { ...process.env, SLOW_MS: '1500', DRAIN_DELAY_MS: '800' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve({ child, port: (JSON.parse(line) as { port: number }).port, output: () => out });
    });
    child.once('exit', (code) => reject(new Error(`fixture exited early with ${code}`)));
  });
}

describe('health and graceful drain of a real service process', () => {
  test('when SIGTERM arrives during a call, then health flips to NOT_SERVING, liveness stays SERVING, the call completes and the process exits 0', async () => {
    const { child, port, output } = await startFixture();
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const health = new HealthCtor(`127.0.0.1:${port}`, credentials.createInsecure());
    const client = createClient(users.UsersServiceClient, users.UsersServiceService, `127.0.0.1:${port}`, { registry: createRegistry(), defaultDeadlineMs: 10_000 });
    try {
      expect(await checkHealth(health)).toBe('SERVING');
      expect(await checkHealth(health, 'tessera.users.v1.UsersService')).toBe('SERVING');

      const inFlight = client.getUser({ id: 'usr_inflight' });
      await until('the call to reach the handler', () => output().includes('"started":"usr_inflight"'));
      child.kill('SIGTERM');
      await until('health to flip to NOT_SERVING', async () => (await checkHealth(health)) === 'NOT_SERVING');

      expect(await checkHealth(health)).toBe('NOT_SERVING');
      expect(await checkHealth(health, 'tessera.users.v1.UsersService')).toBe('NOT_SERVING');
      expect(await checkHealth(health, 'liveness')).toBe('SERVING');

      await expect(inFlight).resolves.toMatchObject({ user: { id: 'usr_inflight' } });
      expect(await exited).toBe(0);
    } finally {
      health.close();
      client.close();
      child.kill('SIGKILL');
    }
  });
});
