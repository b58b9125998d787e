import type { catalog, orders } from '@tessera/contracts';
import type { CallOptions } from '@tessera/grpc-kit';
import type { Registry } from 'prom-client';
import type { Clients } from '../clients';
import { Batcher } from './batcher';

/** Reads the edge coalesces into batched RPCs; `undefined` means not found (or not the caller's). */
export interface Loaders {
  product(id: string, options: CallOptions): Promise<catalog.Product | undefined>;
  order(ref: { userId: string; id: string }, options: CallOptions): Promise<orders.Order | undefined>;
}

export function createLoaders(clients: Clients, registry: Registry): Loaders {
  const products = new Batcher<string, catalog.Product>({
    name: 'products',
    maxBatch: 100,
    registry,
    keyOf: (id) => id,
    run: async (ids, options) => new Map((await clients.catalog.batchGetProducts({ ids }, options)).products.map((p) => [p.id, p])),
  });
  const orderRefs = new Batcher<{ userId: string; id: string }, orders.Order>({
    name: 'orders',
    maxBatch: 100,
    registry,
    keyOf: (ref) => `${ref.userId}/${ref.id}`,
    run: async (refs, options) => new Map((await clients.orders.batchGetOrders({ refs }, options)).orders.map((o) => [`${o.userId}/${o.id}`, o])),
  });
  return {
    product: (id, options) => products.load(id, options),
    order: (ref, options) => orderRefs.load(ref, options),
  };
}
