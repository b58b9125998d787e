import { catalog } from '@tessera/contracts';
import { composeId } from '@tessera/data';
import { createRegistry } from '@tessera/metrics';
import { createClient, GrpcStatus, MetadataKeys, type PromiseClient, type RunningService, type ServiceError } from '@tessera/grpc-kit';
import { eventually, sharedRedisUrl, testDatabase, type TestDatabase } from '@tessera/testing';
import { startTokenService, type TokenService } from '../../users/test/fixtures/token-service';
import { loadCatalogConfig } from '../src/config';
import { startCatalogService } from '../src/service';

let orderSeq = 0;
const newOrderId = () => `ord_${composeId({ timeMs: Date.now(), shard: 7, sequence: orderSeq++ % 4096 })}`;

/** Sum of every series matching `pattern` (its first group is the value). */
async function metricValue(port: number, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return [...text.matchAll(new RegExp(pattern, 'g'))].reduce((sum, m) => sum + Number(m[1]), 0);
}

describe('catalog service (real gRPC, Postgres with a replica, Redis)', () => {
  let db: TestDatabase;
  let tokens: TokenService;
  let service: RunningService;
  let client: PromiseClient<catalog.CatalogServiceClient>;
  const usd = (amountMinor: number) => ({ amountMinor, currency: 'USD' });

  beforeAll(async () => {
    db = await testDatabase('catalog');
    tokens = await startTokenService();
    service = await startCatalogService(
      loadCatalogConfig({
        DATABASE_CLUSTERS: JSON.stringify([{ name: 'catalog', primary: db.primaryUrl, replicas: [db.replicaUrl] }]),
        REDIS_URL: sharedRedisUrl(),
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: '0',
        METRICS_PORT: '0',
        MIGRATE_ON_START: 'true',
        DRAIN_DELAY_MS: '0',
        LOG_LEVEL: 'silent',
        ...tokens.env('catalog'),
      }),
    );
    client = createClient(catalog.CatalogServiceClient, catalog.CatalogServiceService, `127.0.0.1:${service.grpcPort}`, {
      registry: createRegistry(),
      // Calls as orders (stock moves) with an admin's token (product changes): the tests are about the catalog, not its policies.
      identity: tokens.identities.signer('orders'),
      bearer: await tokens.mint('usr_1', { role: 'admin' }),
    });
  });

  afterAll(async () => {
    client.close();
    await service.stop();
    await tokens.stop();
    await db.drop();
  });

  test('when 500 gets of one uncached product arrive at once, then the database is asked exactly once', async () => {
    const { product } = await client.createProduct({ name: 'Hot item', description: 'everyone wants it', price: usd(1999), stock: 5 });
    // Every load, whatever its reason (a miss, or a Redis timeout on a busy machine), is one database query.
    const loads = /cache_loads_total\{cache="products",reason="[a-z_]+"\} (\d+)/;
    const loadsBefore = await metricValue(service.metricsPort, loads);
    const results = await Promise.all(Array.from({ length: 500 }, () => client.getProduct({ id: product!.id })));
    expect(results.every((r) => r.product?.name === 'Hot item')).toBe(true);
    expect((await metricValue(service.metricsPort, loads)) - loadsBefore).toBe(1);
  });

  test('when a product is updated, then the next get shows the change (invalidated after commit)', async () => {
    const { product } = await client.createProduct({ name: 'Lamp', description: 'bright', price: usd(2500), stock: 3 });
    await client.getProduct({ id: product!.id });
    await client.updateProduct({ id: product!.id, name: 'Desk lamp', price: usd(2700) });
    const { product: after } = await client.getProduct({ id: product!.id });
    expect(after).toMatchObject({ name: 'Desk lamp', description: 'bright', price: usd(2700), stock: 3 });
  });

  test('when a product is deleted, then gets answer NOT_FOUND', async () => {
    const { product } = await client.createProduct({ name: 'Gone soon', description: '', price: usd(100), stock: 1 });
    await client.getProduct({ id: product!.id });
    await client.deleteProduct({ id: product!.id });
    await expect(client.getProduct({ id: product!.id })).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
    await expect(client.deleteProduct({ id: product!.id })).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
  });

  test.each([
    [{ name: '', description: '', price: usd(100), stock: 1 }, '/name'],
    [{ name: 'x', description: '', price: usd(0), stock: 1 }, '/price/amount_minor'],
    [{ name: 'x', description: '', price: { amountMinor: 100, currency: 'usd' }, stock: 1 }, '/price/currency'],
    [{ name: 'x', description: '', price: usd(100), stock: -1 }, '/stock'],
    [{ name: 'x', description: '', stock: 1 }, '/price'],
  ])('when a product is created with %j, then INVALID_ARGUMENT names %s', async (request, field) => {
    const error = (await client.createProduct(request).catch((e: unknown) => e)) as ServiceError;
    expect(error.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(JSON.parse(String(error.metadata.get(MetadataKeys.fieldViolations)[0])).map((v: { field: string }) => v.field)).toContain(field);
  });

  test('when products are listed with text and price filters, then paging through returns exactly the matches, newest first', async () => {
    const tag = `zebra${Date.now()}`;
    const made = [];
    for (let i = 0; i < 7; i++) made.push((await client.createProduct({ name: `${tag} ${i}`, description: i % 2 ? 'Striped' : 'plain', price: usd(1000 + i * 100), stock: 1 })).product!);
    const pageThrough = async () => {
      const seen: string[] = [];
      let pageToken = '';
      do {
        const res = await client.listProducts({ query: tag.toUpperCase(), minPriceMinor: 1100, maxPriceMinor: 1500, page: { pageSize: 2, pageToken, offset: 0 } });
        seen.push(...res.products.map((p) => p.id));
        pageToken = res.page?.nextPageToken ?? '';
      } while (pageToken);
      return seen;
    };
    // Listings read the replica, which may trail the writes above by a moment: page through once it has all five.
    const seen = await eventually('the replica to list every match', async () => {
      const ids = await pageThrough();
      return ids.length >= 5 ? ids : undefined;
    });
    expect(seen).toEqual(made.slice(1, 6).map((p) => p.id).reverse());
    const striped = await client.listProducts({ query: `${tag} 3`, page: { pageSize: 10, pageToken: '', offset: 0 } });
    expect(striped.products.map((p) => p.name)).toEqual([`${tag} 3`]);
    await expect(client.listProducts({ query: '', page: { pageSize: 10, pageToken: 'garbage!', offset: 0 } })).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
  });

  test('when 100 orders try to reserve the last 10 items at once, then exactly 10 succeed and stock ends at 0', async () => {
    const { product } = await client.createProduct({ name: 'Last ten', description: '', price: usd(500), stock: 10 });
    const results = await Promise.allSettled(Array.from({ length: 100 }, () => client.reserveStock({ orderId: newOrderId(), lines: [{ productId: product!.id, quantity: 1 }] })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as ServiceError).code).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect((await client.getProduct({ id: product!.id })).product!.stock).toBe(0);
  });

  test('when the same order reserves twice and releases twice, then stock moves once each way', async () => {
    const { product } = await client.createProduct({ name: 'Idempotent', description: '', price: usd(700), stock: 5 });
    const orderId = newOrderId();
    const first = await client.reserveStock({ orderId, lines: [{ productId: product!.id, quantity: 2 }] });
    await client.updateProduct({ id: product!.id, price: usd(900) });
    const second = await client.reserveStock({ orderId, lines: [{ productId: product!.id, quantity: 2 }] });
    expect(first.products[0]!.price).toEqual(usd(700));
    expect(second.products[0]!.price).toEqual(usd(700));
    expect((await client.getProduct({ id: product!.id })).product!.stock).toBe(3);
    expect(await client.releaseStock({ orderId })).toEqual({ released: true });
    expect(await client.releaseStock({ orderId })).toEqual({ released: false });
    expect((await client.getProduct({ id: product!.id })).product!.stock).toBe(5);
  });

  test('when one line of a reservation lacks stock, then nothing is reserved and the error points at that line', async () => {
    const { product: a } = await client.createProduct({ name: 'Plenty', description: '', price: usd(100), stock: 50 });
    const { product: b } = await client.createProduct({ name: 'Scarce', description: '', price: usd(100), stock: 1 });
    const error = (await client.reserveStock({ orderId: newOrderId(), lines: [{ productId: a!.id, quantity: 5 }, { productId: b!.id, quantity: 2 }] }).catch((e: unknown) => e)) as ServiceError;
    expect(error.code).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect(JSON.parse(String(error.metadata.get(MetadataKeys.fieldViolations)[0]))).toEqual([{ field: '/lines/1/quantity', description: 'exceeds the stock available' }]);
    expect((await client.getProduct({ id: a!.id })).product!.stock).toBe(50);
  });

  test('when ids are malformed or of the wrong kind, then INVALID_ARGUMENT', async () => {
    await expect(client.getProduct({ id: 'usr_1' })).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
    await expect(client.reserveStock({ orderId: 'prd_1', lines: [{ productId: 'prd_1', quantity: 1 }] })).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
    await expect(client.batchGetProducts({ ids: ['prd_1', 'nope'] })).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
  });

  test('when a batch asks for found and missing ids, then it answers both in request order', async () => {
    const { product } = await client.createProduct({ name: 'Batch', description: '', price: usd(100), stock: 1 });
    const missing = `prd_${composeId({ timeMs: Date.now(), shard: 0, sequence: 4095 })}`;
    const res = await client.batchGetProducts({ ids: [missing, product!.id] });
    expect(res.products.map((p) => p.id)).toEqual([product!.id]);
    expect(res.missingIds).toEqual([missing]);
  });
});
