import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { AppError, type Code, type FieldViolation, type Reason } from '@tessera/errors';
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
  // A call this handler made failed in a way that is about time or capacity, not a bug: the caller sees the
  // same code (and may retry, or give up on time), with a fixed message that says nothing internal.
  const passed = isServiceError(error) ? PASSED_THROUGH[error.code] : undefined;
  if (passed !== undefined && isServiceError(error)) {
    logger.warn({ err: error }, 'a dependency call failed');
    const metadata = new Metadata();
    const retryAfter = error.metadata.get(MetadataKeys.retryAfterMs)[0];
    if (retryAfter !== undefined) metadata.set(MetadataKeys.retryAfterMs, String(retryAfter));
    const reason = error.metadata.get(MetadataKeys.errorReason)[0];
    if (reason !== undefined) metadata.set(MetadataKeys.errorReason, String(reason));
    return { code: error.code, details: passed, metadata };
  }
  logger.error({ err: error }, 'unhandled error in handler');
  return { code: status.INTERNAL, details: 'internal error', metadata: new Metadata() };
}

/** Codes whose answer is the caller's business (bad input, not found, refused): a proxy passes them on as they came. */
const THE_CALLERS: ReadonlySet<number> = new Set([
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.ALREADY_EXISTS,
  status.PERMISSION_DENIED,
  status.UNAUTHENTICATED,
  status.FAILED_PRECONDITION,
  status.ABORTED,
  status.OUT_OF_RANGE,
  status.UNIMPLEMENTED,
  status.RESOURCE_EXHAUSTED,
]);

/**
 * A downstream call's error as the AppError it was raised as (code, message,
 * field violations, reason, retry delay), for a proxy that answers its own
 * caller with it. Errors that are not the caller's business stay as they are,
 * for toServiceError to hide.
 */
export function fromServiceError(error: unknown): unknown {
  if (!isServiceError(error) || !THE_CALLERS.has(error.code)) return error;
  const raw = error.metadata.get(MetadataKeys.fieldViolations)[0];
  let violations: FieldViolation[] = [];
  try {
    violations = raw === undefined ? [] : (JSON.parse(raw.toString()) as FieldViolation[]);
  } catch {
    violations = [];
  }
  const retryAfter = Number(error.metadata.get(MetadataKeys.retryAfterMs)[0]);
  const reason = error.metadata.get(MetadataKeys.errorReason)[0];
  return new AppError(error.code as Code, error.details, violations, {
    ...(Number.isFinite(retryAfter) ? { retryAfterMs: retryAfter } : {}),
    ...(reason !== undefined ? { reason: String(reason) as Reason } : {}),
  });
}

const PASSED_THROUGH: Partial<Record<number, string>> = {
  [status.UNAVAILABLE]: 'a dependency is unavailable; try again',
  [status.DEADLINE_EXCEEDED]: 'a dependency did not answer in time',
  [status.CANCELLED]: 'the call was cancelled',
  [status.RESOURCE_EXHAUSTED]: 'a dependency is overloaded; try again later',
};

/** An error a gRPC call returned (a status code and its metadata), as opposed to anything else thrown. */
export function isServiceError(error: unknown): error is ServiceError {
  return typeof error === 'object' && error !== null && typeof (error as ServiceError).code === 'number' && (error as ServiceError).metadata instanceof Metadata;
}
