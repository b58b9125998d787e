import { loadConfig } from '@tessera/config';
import { dataConfigShape } from '@tessera/data';
import { grpcServiceConfigShape, userTokensConfigShape } from '@tessera/grpc-kit';
import { z } from 'zod';

/** Everything the payments service reads from its environment, validated once at start. */
export const paymentsConfigShape = {
  ...grpcServiceConfigShape,
  ...userTokensConfigShape,
  ...dataConfigShape,
  GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(50054),
  /** How long to wait for the processor before treating the outcome as unknown (and retryable with the same key). */
  PROCESSOR_TIMEOUT_MS: z.coerce.number().int().min(10).default(3_000),
  /** Where payment events go: `target=prefix|prefix;target2=...`, e.g. `notifications:50055=payment.refunded` (no `=`: every type). */
  EVENT_SUBSCRIBERS: z.string().default(''),
  /** Test hook: a named point at which the process kills itself (crash tests). Never set in production. */
  CRASH_AT: z.string().default(''),
};

export type PaymentsConfig = ReturnType<typeof loadPaymentsConfig>;

export function loadPaymentsConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(paymentsConfigShape, source);
}
