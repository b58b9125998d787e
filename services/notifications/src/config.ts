import { env, loadConfig } from '@tessera/config';
import { dataConfigShape } from '@tessera/data';
import { grpcServiceConfigShape, userTokensConfigShape } from '@tessera/grpc-kit';
import { z } from 'zod';

/** Everything the notifications service reads from its environment, validated once at start. */
export const notificationsConfigShape = {
  ...grpcServiceConfigShape,
  ...userTokensConfigShape,
  ...dataConfigShape,
  GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(50055),
  /** Local runs only: allow http:// webhook URLs. */
  WEBHOOKS_ALLOW_HTTP: env.flag(false),
  /** Local runs only: allow webhook URLs on loopback, private and link-local addresses. */
  WEBHOOKS_ALLOW_PRIVATE: env.flag(false),
  WEBHOOK_MAX_AGE_MS: z.coerce.number().int().min(1_000).default(24 * 3_600_000),
  WEBHOOK_BACKOFF_BASE_MS: z.coerce.number().int().min(10).default(1_000),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
};

export type NotificationsConfig = ReturnType<typeof loadNotificationsConfig>;

export function loadNotificationsConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(notificationsConfigShape, source);
}
