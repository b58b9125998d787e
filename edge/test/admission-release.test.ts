import Fastify, { type FastifyInstance } from 'fastify';
import { connect, type Socket } from 'node:net';
import { Registry } from 'prom-client';
import { until } from '@tessera/testing';
import { installAdmission } from '../src/http/admission';
import { installRequestContext } from '../src/http/request-context';

/**
 * A client that gives up mid-request (wrk at the end of a run, a browser tab
 * closed, a proxy timing out) must not keep its admission slot: its request
 * never finishes writing, so Fastify's onResponse never fires for it.
 */
describe('the edge when clients go away mid-request', () => {
  let app: FastifyInstance;
  const registry = new Registry();
  let port: number;
  let entered = 0;
  let release: () => void = () => undefined;
  let held = new Promise<void>((resolve) => (release = resolve));

  beforeAll(async () => {
    app = Fastify({ logger: false });
    installRequestContext(app, registry);
    installAdmission(app, { min: 2, max: 2, registry: new Registry(), budgetMs: 60_000 });
    // Slow work the test controls: it answers once the test lets it.
    app.get('/slow', async () => {
      entered++;
      await held;
      return { ok: true };
    });
    app.get('/fast', async () => ({ ok: true }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  });

  afterAll(() => app.close());

  const get = async (path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).status;

  /** Sends a request on a raw connection, and returns the socket so the test can hang up on it. */
  const send = (path: string) =>
    new Promise<Socket>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(`GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`);
        resolve(socket);
      });
      socket.on('error', () => undefined);
    });

  test('when both admitted clients hang up before their answers, then once the work ends the slots are free again (not after the budget) and the requests are measured', async () => {
    const sockets = [await send('/slow'), await send('/slow')];
    await until('both slow requests to be admitted', () => entered === 2);
    expect(await get('/fast')).toBe(503); // the limit (2) is full: the test really fills it

    for (const s of sockets) s.destroy();
    await new Promise((r) => setTimeout(r, 50)); // the server sees both connections close
    release();
    held = Promise.resolve();

    // The work is done; its answers had nowhere to go. The next requests are admitted.
    const after = [];
    for (let i = 0; i < 5; i++) after.push(await get('/fast'));
    expect(after).toEqual([200, 200, 200, 200, 200]);
    // Concurrently, to the limit: both slots really are back.
    expect(await Promise.all([get('/slow'), get('/slow')])).toEqual([200, 200]);
    // And the abandoned requests are measured like any other (four /slow requests in all).
    expect(await registry.metrics()).toMatch(/^http_server_request_duration_seconds_count\{method="GET",route="\/slow",status="200"\} 4$/m);
  });
});
