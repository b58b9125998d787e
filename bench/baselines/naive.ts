/**
 * Baseline "naive": an Express 5 app that makes one grpc-js unary call per
 * request to a grpc-js service, which reads like the limit does. Run as two
 * processes: `naive.js service` and `naive.js edge`. Defaults everywhere
 * (Express's ETag, res.json), no auth, no limits, no metrics: the stack a team
 * gets by wiring the two libraries together.
 */
import { credentials, Metadata, Server, ServerCredentials, status, type ServiceError } from '@grpc/grpc-js';
import express from 'express';
import { catalog, orders } from '@tessera/contracts';
import { baselineData } from './shared';

const role = process.argv[2];

if (role === 'service') {
  const data = baselineData(process.env, 'bench:naive');
  const server = new Server();
  const notFound = { code: status.NOT_FOUND, details: 'not found' } as Partial<ServiceError>;
  server.addService(catalog.CatalogServiceService, {
    getProduct: (call: { request: catalog.GetProductRequest }, callback: (e: Partial<ServiceError> | null, r?: unknown) => void) => {
      data.product(call.request.id).then(
        (p) => (p ? callback(null, catalog.GetProductResponse.fromPartial({ product: { id: p.id as string, name: p.name as string, description: p.description as string, price: { amountMinor: (p.price as { amount_minor: number }).amount_minor, currency: (p.price as { currency: string }).currency }, stock: p.stock as number } })) : callback(notFound)),
        (e: Error) => callback({ code: status.INTERNAL, details: e.message }),
      );
    },
  } as never);
  server.addService(orders.OrdersServiceService, {
    getOrder: (call: { request: orders.GetOrderRequest }, callback: (e: Partial<ServiceError> | null, r?: unknown) => void) => {
      data.order(call.request.id).then(
        (o) => (o ? callback(null, orders.GetOrderResponse.fromPartial({ order: { id: o.id as string, status: orders.OrderStatus.ORDER_STATUS_PAID, paymentMethod: o.payment_method as string, total: { amountMinor: (o.total as { amount_minor: number }).amount_minor, currency: (o.total as { currency: string }).currency } } })) : callback(notFound)),
        (e: Error) => callback({ code: status.INTERNAL, details: e.message }),
      );
    },
  } as never);
  server.bindAsync(`127.0.0.1:${process.env.PORT}`, ServerCredentials.createInsecure(), () => process.stdout.write('listening\n'));
} else if (role === 'edge') {
  const target = `127.0.0.1:${process.env.SERVICE_PORT}`;
  const products = new catalog.CatalogServiceClient(target, credentials.createInsecure());
  const orderClient = new orders.OrdersServiceClient(target, credentials.createInsecure());
  const app = express();
  const reply = (res: express.Response) => (error: ServiceError | null, body?: unknown) => {
    if (error) res.status(error.code === status.NOT_FOUND ? 404 : 500).json({ title: error.details });
    else res.json(body);
  };
  app.get('/api/v2/products/:id', (req, res) => products.getProduct({ id: req.params.id }, new Metadata(), { deadline: Date.now() + 10_000 }, reply(res)));
  app.get('/api/v2/orders/:id', (req, res) => orderClient.getOrder({ userId: '', id: req.params.id }, new Metadata(), { deadline: Date.now() + 10_000 }, reply(res)));
  const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'));
  server.keepAliveTimeout = 65_000;
} else {
  throw new Error('usage: naive.js service|edge');
}
