import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { AppError } from '@tessera/errors';
import type { Logger } from '@tessera/logging';
import { MetadataKeys } from './metadata-keys';

/**
 * Domain error → gRPC status, the one mapping on the service side. An AppError
 * crosses the wire with its code, message and field violations; anything else
 * is a bug, logged with its stack and answered as INTERNAL with a generic
 * message so nothing internal leaks.
 */
export function toServiceError(error: unknown, logger: Logger): Partial<ServiceError> {
  if (error instanceof AppError) {
    const metadata = new Metadata();
    if (error.violations.length > 0) metadata.set(MetadataKeys.fieldViolations, Buffer.from(JSON.stringify(error.violations)));
    if (error.reason) metadata.set(MetadataKeys.errorReason, error.reason);
    if (error.retryAfterMs !== undefined) metadata.set(MetadataKeys.retryAfterMs, String(Math.ceil(error.retryAfterMs)));
    if (error.code === status.INTERNAL || error.code === status.UNKNOWN || error.code === status.DATA_LOSS) {
      logger.error({ err: error }, 'call failed');
    }
    return { code: error.code, details: error.message, metadata };
  }
  logger.error({ err: error }, 'unhandled error in handler');
  return { code: status.INTERNAL, details: 'internal error', metadata: new Metadata() };
}
