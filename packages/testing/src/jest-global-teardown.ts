import { rmSync } from 'node:fs';
import type { SharedInfra } from './jest-global-setup';

export default async function globalTeardown(): Promise<void> {
  const infra = (globalThis as { __TESSERA_INFRA__?: SharedInfra }).__TESSERA_INFRA__;
  if (!infra) return;
  await Promise.allSettled([infra.postgres.stop(), infra.redis.stop(), infra.redisCluster.stop()]);
  rmSync(infra.root, { recursive: true, force: true });
}
