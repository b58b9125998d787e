import path from 'node:path';
import { Cache, changePublisher, openStore } from '@tessera/cache';
import { catalog as pb, protoFiles, PROTO_ROOT } from '@tessera/contracts';
import { loadDataConfig, ShardedDb } from '@tessera/data';
import { cacheIntegrityKey, remoteCallAuthentication, serveGrpc, serviceIdentity, ownProcess, type Hosting, type RunningService } from '@tessera/grpc-kit';
import { createLogger, type Logger } from '@tessera/logging';
import type { CatalogConfig } from './config';
import { decodeProduct, productRepository } from './data-access/product-repository';
import type { Product } from './domain/product';
import { catalogHandlers } from './entry-points/grpc/catalog-handlers';
import { catalogPolicies } from './entry-points/grpc/policies';

export const MIGRATIONS_DIR = path.resolve(__dirname, '..', 'migrations');

/** Composes the service from its config and starts it; tests call this with port 0. */
export async function startCatalogService(config: CatalogConfig, logger: Logger = createLogger({ service: 'catalog', level: config.LOG_LEVEL }), hosting: Hosting = ownProcess()): Promise<RunningService> {
  const registry = hosting.registry;
  const data = loadDataConfig(config);
  if (data.shardMap.clusters.length !== 1) throw new Error('the catalog lives on one cluster (with replicas); DATABASE_CLUSTERS must name exactly one');
  const db = await ShardedDb.connect({ ...data, registry });
  if (config.MIGRATE_ON_START) logger.info({ migrations: await db.migrateAll(MIGRATIONS_DIR) }, 'migrations applied');
  const store = await openStore({ url: config.REDIS_URL, namespace: 'catalog', commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, logger });
  // Edges keep copies of product answers; they drop them when told (topic "products", prefixed ids).
  const changes = changePublisher(config.REDIS_URL, 'products', config.REDIS_COMMAND_TIMEOUT_MS);
  const cache = new Cache<Product>({ name: 'products', store, registry, ttlMs: config.PRODUCT_CACHE_TTL_MS, decode: (text) => decodeProduct(text), integrityKey: cacheIntegrityKey(config) });

  const auth = remoteCallAuthentication(config, registry, serviceIdentity('catalog', config));

  return serveGrpc({
    config,
    monolith: hosting.monolith,
    logger,
    registry,
    auth,
    reflection: { protoRoot: PROTO_ROOT, files: [protoFiles.catalog] },
    register: (server) => {
      server.addService(pb.CatalogServiceService, catalogHandlers({ products: productRepository(db.clusters[0]!, cache, (ids) => changes.publish(ids)) }), catalogPolicies);
    },
    close: async () => {
      changes.close();
      auth.close();
      await Promise.all([db.end(), store.close()]);
    },
  });
}

