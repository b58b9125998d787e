import nodeHttp from 'node:http';
import { until } from '@tessera/testing';
import { ADMIN, http, startStack, type Stack } from './fixtures/stack';

/** One GET over a keep-alive agent: status and the Connection header. */
function get(agent: nodeHttp.Agent, url: string): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    nodeHttp
      .get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/**
 * SIGTERM's drain, as a load balancer and keep-alive clients see it: readiness
 * fails at once, answers carry `Connection: close` while traffic still
 * arrives, the requests in flight finish, and the edge is gone soon after,
 * with no client-visible error.
 */
describe('the REST edge draining under keep-alive load', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ edgeEnv: { RATE_LIMIT_ANONYMOUS: '100000', RATE_LIMIT_USER: '100000', RATE_LIMIT_PREFIX: `edge-drain-${Date.now()}:` } });
  }, 60_000);

  afterAll(() => stack.stop());

  test('when the edge is stopped under keep-alive load, then no request fails, answers close their connections, and it is gone right after the drain delay', async () => {
    const token = (await http(stack.url(), 'POST', '/api/v2/auth/login', { body: ADMIN })).body.access_token as string;
    const product = (await http(stack.url(), 'POST', '/api/v2/products', { token, body: { name: 'Drained', description: '', price: { amount_minor: 100, currency: 'USD' }, stock: 5 } })).body.id as string;
    const index = await stack.addEdge({ DRAIN_DELAY_MS: '1500', SHUTDOWN_TIMEOUT_MS: '20000' });
    const edge = stack.edges[index]!;
    const url = stack.url(index);
    const agent = new nodeHttp.Agent({ keepAlive: true, maxSockets: 8 });
    const outcomes: { at: 'before' | 'draining'; status: number; connection: string | undefined }[] = [];
    const errors: string[] = [];
    let phase: 'before' | 'draining' | 'deregistered' = 'before';

    // Eight keep-alive clients; they stop sending once the load balancer has taken the edge out (half the drain delay in).
    const clients = Array.from({ length: 8 }, async () => {
      while (phase !== 'deregistered') {
        const at = phase;
        try {
          outcomes.push({ at, ...(await get(agent, `${url}/api/v2/products/${product}`)) });
        } catch (error) {
          errors.push(`${at}: ${(error as Error).message}`);
        }
      }
    });
    await until('keep-alive traffic flowing', () => outcomes.length > 50);
    const stopping = Date.now();
    phase = 'draining';
    const stopped = edge.stop();
    expect((await get(agent, `${url}/readyz`)).status).toBe(503);
    // The load balancer lets go a third into the drain delay (timed from the stop, so a slow machine cannot push it past the delay).
    await new Promise((r) => setTimeout(r, Math.max(0, stopping + 500 - Date.now())));
    phase = 'deregistered';
    await Promise.all(clients);
    await stopped;
    const took = Date.now() - stopping;
    stack.edges.splice(index, 1);
    agent.destroy();

    expect(errors).toEqual([]);
    expect(outcomes.filter((o) => o.at === 'before').length).toBeGreaterThan(50);
    const during = outcomes.filter((o) => o.at === 'draining');
    expect(during.length).toBeGreaterThan(0);
    expect(new Set(during.map((o) => `${o.status} ${o.connection}`))).toEqual(new Set(['200 close']));
    // Gone right after the 1.5 s drain delay and the 1 s an idle connection gets: nothing waited out the 20 s bound.
    expect(took).toBeLessThan(4_500);
  });

  test('when clients keep sending on their keep-alive sockets through the whole stop (no load balancer, no drain delay), then the only failures are refused new connections', async () => {
    const product = (await http(stack.url(), 'GET', '/api/v2/products?limit=1')).body.data[0].id as string;
    const index = await stack.addEdge({ DRAIN_DELAY_MS: '0', SHUTDOWN_TIMEOUT_MS: '20000' });
    const edge = stack.edges[index]!;
    const url = stack.url(index);
    const agent = new nodeHttp.Agent({ keepAlive: true, maxSockets: 8 });
    const errors: string[] = [];
    let ok = 0;
    let gone = false;
    // Closed-loop keep-alive clients: each sends its next request the moment the last answer is read.
    const clients = Array.from({ length: 8 }, async () => {
      while (!gone) {
        try {
          if ((await get(agent, `${url}/api/v2/products/${product}`)).status === 200) ok++;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
          if (code === 'ECONNREFUSED') gone = true;
          else errors.push(code);
        }
      }
    });
    await until('traffic flowing', () => ok > 100);
    const stopping = Date.now();
    await edge.stop();
    const took = Date.now() - stopping;
    gone = true;
    await Promise.all(clients);
    stack.edges.splice(index, 1);
    agent.destroy();

    expect(errors).toEqual([]);
    // The answers said Connection: close, so the clients' sockets ended with them; nothing waited for the 20 s bound.
    expect(took).toBeLessThan(3_000);
  });
});

