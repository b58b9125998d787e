import { users } from '@tessera/contracts';
import { AppError } from '@tessera/errors';
import { startMetricsServer, type MetricsServer } from '@tessera/metrics';
import { createClient } from '@tessera/grpc-kit';
import { aUser, startUsersServer, type TestServer } from './fixtures/users-stub';

describe('metrics endpoint', () => {
  let server: TestServer;
  let metrics: MetricsServer;

  beforeAll(async () => {
    server = await startUsersServer({
      getUser: async (req) => {
        if (req.id === 'usr_missing') throw AppError.notFound('user');
        return { user: aUser(req.id) };
      },
    });
    metrics = await startMetricsServer(server.registry, 0, '127.0.0.1');
    const client = createClient(users.UsersServiceClient, users.UsersServiceService, `127.0.0.1:${server.port}`, { registry: server.registry });
    for (let i = 0; i < 3; i++) await client.getUser({ id: `usr_${i}` });
    await client.getUser({ id: 'usr_missing' }).catch(() => undefined);
    client.close();
  });

  afterAll(async () => {
    await metrics.close();
    await server.stop();
  });

  test('when calls were made, then /metrics shows server and client RED series labelled by service, method and code', async () => {
    const response = await fetch(`http://127.0.0.1:${metrics.port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const body = await response.text();
    const labels = 'grpc_service="tessera.users.v1.UsersService",grpc_method="GetUser",grpc_type="unary"';
    expect(body).toContain(`grpc_server_handled_total{${labels},grpc_code="OK"} 3`);
    expect(body).toContain(`grpc_server_handled_total{${labels},grpc_code="NOT_FOUND"} 1`);
    expect(body).toContain(`grpc_server_started_total{${labels}} 4`);
    expect(body).toMatch(new RegExp(`grpc_server_handling_seconds_count\\{${labels},grpc_code="OK"\\} 3`));
    expect(body).toContain(`grpc_client_handled_total{${labels},grpc_code="OK"} 3`);
    expect(body).toContain(`grpc_client_handled_total{${labels},grpc_code="NOT_FOUND"} 1`);
    expect(body).toMatch(/grpc_client_handling_seconds_bucket\{le="0.005",/);
    expect(body).toMatch(/^process_cpu_user_seconds_total \d/m);
  });

  test('when anything but /metrics is asked, then it is a 404', async () => {
    const response = await fetch(`http://127.0.0.1:${metrics.port}/`);
    expect(response.status).toBe(404);
  });
});
