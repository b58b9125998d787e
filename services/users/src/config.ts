import { loadConfig } from '@tessera/config';
import { dataConfigShape } from '@tessera/data';
import { grpcServiceConfigShape } from '@tessera/grpc-kit';
import { z } from 'zod';

/** Everything the users service reads from its environment, validated once at start. */
export const usersConfigShape = {
  ...grpcServiceConfigShape,
  ...dataConfigShape,
  GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(50051),
  /** scrypt cost as log2(N); lowered only in tests. */
  SCRYPT_LOG_N: z.coerce.number().int().min(10).max(20).default(15),
};

export type UsersConfig = ReturnType<typeof loadUsersConfig>;

export function loadUsersConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(usersConfigShape, source);
}
