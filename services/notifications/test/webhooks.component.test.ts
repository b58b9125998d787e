import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { events, notifications } from '@tessera/contracts';
import { composeId, formatId } from '@tessera/data';
import { createClient, GrpcStatus, type PromiseClient, type RunningService } from '@tessera/grpc-kit';
import { createRegistry } from '@tessera/metrics';
import { actingAsNamedUser, eventually, testDatabase, type TestDatabase } from '@tessera/testing';
import { startTokenService, type TokenService } from '../../users/test/fixtures/token-service';
import { loadNotificationsConfig } from '../src/config';
import { startNotificationsService } from '../src/service';

const userId = () => formatId('user', composeId({ timeMs: Date.now(), shard: 9, sequence: Math.floor(Math.random() * 4096) }));

describe('webhooks (real notifications service, real HTTP receiver)', () => {
  let db: TestDatabase;
  let tokens: TokenService;
  let local: RunningService;
  let strict: RunningService;
  const registry = createRegistry();
  let webhooks: PromiseClient<notifications.WebhooksServiceClient>;
  let strictWebhooks: PromiseClient<notifications.WebhooksServiceClient>;
  let consumer: PromiseClient<events.EventConsumerServiceClient>;
  let server: Server;
  let url = '';
  const statuses: number[] = [];
  let calls = 0;

  beforeAll(async () => {
    db = await testDatabase('webhooks');
    tokens = await startTokenService();
    const common = {
      ...tokens.env('notifications'), DATABASE_CLUSTERS: JSON.stringify([{ name: 'main', primary: db.primaryUrl, replicas: [db.replicaUrl] }]), GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', METRICS_PORT: '0', DRAIN_DELAY_MS: '0', LOG_LEVEL: 'silent' };
    local = await startNotificationsService(loadNotificationsConfig({ ...common, MIGRATE_ON_START: 'true', WEBHOOKS_ALLOW_HTTP: 'true', WEBHOOKS_ALLOW_PRIVATE: 'true', WEBHOOK_BACKOFF_BASE_MS: '20' }));
    strict = await startNotificationsService(loadNotificationsConfig(common));
    const mint = (sub: string) => tokens.mint(sub);
    webhooks = actingAsNamedUser(createClient(notifications.WebhooksServiceClient, notifications.WebhooksServiceService, `127.0.0.1:${local.grpcPort}`, { registry }), mint);
    strictWebhooks = actingAsNamedUser(createClient(notifications.WebhooksServiceClient, notifications.WebhooksServiceService, `127.0.0.1:${strict.grpcPort}`, { registry }), mint);
    // Events arrive from the orders relay.
    consumer = createClient(events.EventConsumerServiceClient, events.EventConsumerServiceService, `127.0.0.1:${local.grpcPort}`, { registry, identity: tokens.identities.signer('orders') });
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        calls++;
        res.writeHead(statuses.shift() ?? 200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });

  afterAll(async () => {
    for (const c of [webhooks, strictWebhooks, consumer]) c.close();
    await Promise.all([local.stop(), strict.stop()]);
    await tokens.stop();
    await new Promise((r) => server.close(r));
    await db.drop();
  });

  test('when the receiver fails twice, then the delivery is retried with backoff and logged until it succeeds', async () => {
    const user = userId();
    const { webhook } = await webhooks.createWebhook({ userId: user, url, eventTypes: [] });
    statuses.push(500, 503);
    calls = 0;
    await consumer.consumeEvents({ events: [{ id: `test:${Date.now()}`, type: 'order.paid', aggregateId: 'ord_1', userId: user, payloadJson: '{"order_id":"ord_1"}', occurredAt: new Date() }] });
    const attempts = await eventually('a successful attempt', async () => {
      const { deliveries } = await webhooks.listWebhookDeliveries({ userId: user, webhookId: webhook!.id, page: { pageSize: 10, pageToken: '', offset: 0 } });
      return deliveries.some((a) => a.responseStatus === 200) ? deliveries : undefined;
    });
    expect(attempts.map((a) => [a.attempt, a.responseStatus]).reverse()).toEqual([[1, 500], [2, 503], [3, 200]]);
    expect(calls).toBe(3);
  });

  test.each(['https://127.0.0.1/hook', 'https://169.254.169.254/latest/meta-data', 'https://10.0.0.1/hook', 'https://localhost/hook'])(
    'when a webhook points at %s without the local-run allowance, then it is refused',
    async (target) => {
      await expect(strictWebhooks.createWebhook({ userId: userId(), url: target, eventTypes: [] })).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
    },
  );

  test('when another user deletes or lists a webhook, then NOT_FOUND and nothing of it', async () => {
    const owner = userId();
    const { webhook } = await webhooks.createWebhook({ userId: owner, url, eventTypes: ['order.paid'] });
    const stranger = userId();
    await expect(webhooks.deleteWebhook({ userId: stranger, id: webhook!.id })).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
    await expect(webhooks.listWebhookDeliveries({ userId: stranger, webhookId: webhook!.id, page: { pageSize: 10, pageToken: '', offset: 0 } })).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
    expect((await webhooks.listWebhooks({ userId: stranger })).webhooks).toEqual([]);
  });
});
