import { loadConfig } from '@tessera/config';
import { dataConfigShape } from '@tessera/data';
import { grpcServiceConfigShape, userTokensConfigShape } from '@tessera/grpc-kit';
import { z } from 'zod';

/** Everything the catalog service reads from its environment, validated once at start. */
export const catalogConfigShape = {
  ...grpcServiceConfigShape,
  ...userTokensConfigShape,
  ...dataConfigShape,
  GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(50052),
  /** `redis://…`, `redis-cluster://h1:p1,h2:p2`, or `memory://` for an in-process cache. */
  REDIS_URL: z.string().default('memory://'),
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(5).default(100),
  PRODUCT_CACHE_TTL_MS: z.coerce.number().int().min(100).default(60_000),
};

export type CatalogConfig = ReturnType<typeof loadCatalogConfig>;

export function loadCatalogConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(catalogConfigShape, source);
}
