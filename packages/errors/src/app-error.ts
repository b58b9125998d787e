import { Code } from './code';
import type { Reason } from './reason';

/** One invalid input field, addressed by a JSON pointer into the request ("/items/0/quantity"). */
export interface FieldViolation {
  field: string;
  description: string;
}

/**
 * The one error type services raise on purpose. Its message is meant for the
 * caller and crosses the wire; anything that is not an AppError is treated as a
 * bug: logged in full, and answered as INTERNAL with a generic message.
 */
export class AppError extends Error {
  override readonly name = 'AppError';

  /** Machine-readable cause (google.rpc.ErrorInfo's reason), for callers that must tell two errors of one code apart. */
  readonly reason: Reason | undefined;

  /** For RESOURCE_EXHAUSTED and UNAVAILABLE: when the caller may try again (google.rpc.RetryInfo's delay). */
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly code: Code,
    message: string,
    readonly violations: readonly FieldViolation[] = [],
    options?: { cause?: unknown; reason?: Reason; retryAfterMs?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.reason = options?.reason;
    this.retryAfterMs = options?.retryAfterMs;
  }

  static invalidArgument(message: string, violations: readonly FieldViolation[] = []): AppError {
    return new AppError(Code.INVALID_ARGUMENT, message, violations);
  }

  static notFound(what: string): AppError {
    return new AppError(Code.NOT_FOUND, `${what} not found`);
  }

  static alreadyExists(message: string): AppError {
    return new AppError(Code.ALREADY_EXISTS, message);
  }

  static failedPrecondition(message: string, reason?: Reason): AppError {
    return new AppError(Code.FAILED_PRECONDITION, message, [], reason ? { reason } : undefined);
  }

  static unauthenticated(message = 'authentication required'): AppError {
    return new AppError(Code.UNAUTHENTICATED, message);
  }

  static permissionDenied(message = 'permission denied'): AppError {
    return new AppError(Code.PERMISSION_DENIED, message);
  }

  static resourceExhausted(message: string, retryAfterMs: number): AppError {
    return new AppError(Code.RESOURCE_EXHAUSTED, message, [], { retryAfterMs });
  }

  static unavailable(message: string, cause?: unknown): AppError {
    return new AppError(Code.UNAVAILABLE, message, [], { cause });
  }

  static aborted(message: string): AppError {
    return new AppError(Code.ABORTED, message);
  }
}
