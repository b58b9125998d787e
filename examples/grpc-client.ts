/**
 * An outside client of Tessera: registers and logs in over REST, then browses
 * and orders over the public gRPC API with @tessera/client.
 *
 *   npm start                                   # in one terminal
 *   npx tsx examples/grpc-client.ts             # in another
 *   npx tsx examples/grpc-client.ts --rest http://localhost:8080 --grpc localhost:50050
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { connect, GrpcStatus, MetadataKeys, orders, type ServiceError } from '@tessera/client';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rest: { type: 'string', default: 'http://localhost:8080' }, grpc: { type: 'string', default: 'localhost:50050' } } });
  const rest = values.rest!;

  // 1. Register and log in over REST (the same account works over gRPC).
  const email = `grpc-example-${randomUUID().slice(0, 8)}@example.com`;
  const password = 'correct horse battery staple';
  const post = (path: string, body: unknown) => fetch(`${rest}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const registered = await post('/api/v2/users', { email, password, display_name: 'gRPC example' });
  if (registered.status !== 201) throw new Error(`registration answered ${registered.status}: ${await registered.text()}`);
  const { access_token: accessToken } = (await (await post('/api/v2/auth/login', { email, password })).json()) as { access_token: string };
  console.log(`registered and logged in over REST as ${email}`);

  // 2. Over gRPC with the access token: every call carries it, has a deadline, and is retried on UNAVAILABLE.
  const tessera = connect({ target: values.grpc!, credential: accessToken });
  try {
    const { user } = await tessera.users.getUser({ id: (await fetchMe(rest, accessToken)).id });
    const { products } = await tessera.catalog.listProducts({ query: '', page: { pageSize: 3, pageToken: '', offset: 0 } });
    if (products.length === 0) throw new Error('the catalog is empty');
    console.log(`browsing over gRPC: ${products.map((p) => `${p.name} (${(p.price!.amountMinor / 100).toFixed(2)} ${p.price!.currency})`).join(', ')}`);

    // One idempotency key per order: a retry of this call can never charge twice.
    let consistency = '';
    const { order } = await tessera.orders.createOrder(
      { userId: user!.id, items: [{ productId: products[0]!.id, quantity: 1 }], paymentMethod: 'pm_card_ok', idempotencyKey: randomUUID() },
      { onTrailers: (t) => (consistency = String(t.get(MetadataKeys.consistencyToken)[0] ?? '')) },
    );
    // Read it back with the write's consistency token: a replica that has not caught up is never asked.
    const { order: read } = await tessera.orders.getOrder({ userId: user!.id, id: order!.id }, { metadata: { [MetadataKeys.consistencyToken]: consistency } });
    console.log(`ordered over gRPC: ${read!.id}, ${orders.orderStatusToJSON(read!.status)}, total ${(read!.total!.amountMinor / 100).toFixed(2)} ${read!.total!.currency}`);

    // The services decide what a credential may do: another user's orders are refused.
    const refused = await tessera.orders.listOrders({ userId: 'usr_1' }).then(() => 'allowed', (e: ServiceError) => GrpcStatus[e.code]);
    console.log(`someone else's orders: ${refused}`);
  } finally {
    tessera.close();
  }
}

async function fetchMe(rest: string, token: string): Promise<{ id: string }> {
  return (await (await fetch(`${rest}/api/v2/users/me`, { headers: { authorization: `Bearer ${token}` } })).json()) as { id: string };
}

main().catch((error: unknown) => {
  console.error(`failed: ${(error as Error).message}`);
  process.exit(1);
});
