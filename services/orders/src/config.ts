import { loadConfig } from '@tessera/config';
import { dataConfigShape } from '@tessera/data';
import { grpcServiceConfigShape, userTokensConfigShape } from '@tessera/grpc-kit';
import { z } from 'zod';

/** Everything the orders service reads from its environment, validated once at start. */
export const ordersConfigShape = {
  ...grpcServiceConfigShape,
  ...userTokensConfigShape,
  ...dataConfigShape,
  GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(50053),
  CATALOG_TARGET: z.string().min(1).default('catalog:50052'),
  PAYMENTS_TARGET: z.string().min(1).default('payments:50054'),
  /** How long the saga waits for payments before leaving the order pending for recovery. */
  PAYMENT_TIMEOUT_MS: z.coerce.number().int().min(50).default(5_000),
  /** Idempotency keys are remembered this long (the IETF draft suggests at least 24 h). */
  IDEMPOTENCY_KEY_TTL_MS: z.coerce.number().int().min(1_000).default(24 * 3_600_000),
  IDEMPOTENCY_LEASE_MS: z.coerce.number().int().min(100).default(30_000),
  RECOVERY_INTERVAL_MS: z.coerce.number().int().min(50).default(5_000),
  /** A pending order untouched for this long is finished by the recovery worker. */
  RECOVERY_STALE_MS: z.coerce.number().int().min(50).default(15_000),
  /** Where order events go: `target=prefix|prefix;...`, e.g. `notifications:50055=order.`. */
  EVENT_SUBSCRIBERS: z.string().default(''),
  /** Test hook: a named point at which the process kills itself (crash tests). Never set in production. */
  CRASH_AT: z.string().default(''),
};

export type OrdersConfig = ReturnType<typeof loadOrdersConfig>;

export function loadOrdersConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(ordersConfigShape, source);
}
