import { AppError, Code } from '@tessera/errors';

/**
 * Errors that mean "this server cannot be reached or is going away", as
 * opposed to errors in the query itself. Only these make a read move to
 * another node or a call answer UNAVAILABLE.
 */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED']);
// 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 08* connection exceptions.
const CONNECTION_SQLSTATES = /^(57P0[123]|08...)$/;

export class DbTimeoutError extends Error {
  override readonly name = 'DbTimeoutError';
}

export function isConnectionError(error: unknown): boolean {
  if (error instanceof DbTimeoutError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (CONNECTION_CODES.has(code) || CONNECTION_SQLSTATES.test(code));
}

/**
 * A database that is not there yet, as a freshly bootstrapped cluster is: unreachable or starting,
 * or its role or database not created yet (28P01, 28000, 3D000). What `migrate` waits out.
 */
export function isNotReadyYet(error: unknown): boolean {
  return isConnectionError(error) || ['28P01', '28000', '3D000'].includes(String((error as { code?: unknown } | null)?.code));
}

/**
 * postgres.js's wait before reconnecting, in seconds: 50 ms doubling to 1 s,
 * jittered. Its default grows to 20 s after a few failed attempts (the count
 * is shared by the whole pool), so queries waiting for a connection would
 * stay waiting long after a restarted server is back.
 */
export function reconnectBackoff(retries: number): number {
  return Math.min(0.05 * 2 ** retries, 1) * (0.5 + Math.random() / 2);
}

/** 42P01 undefined_table, 42703 undefined_column, 42883 undefined_function: on a replica, a schema change it has not replayed yet. */
export function isSchemaBehind(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '42P01' || code === '42703' || code === '42883';
}

/** Nothing reached the server, so even a non-idempotent write is safe to retry. */
export function isRefusedBeforeSending(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ECONNREFUSED' || code === 'CONNECT_TIMEOUT' || code === '57P03';
}

/** Connection trouble becomes UNAVAILABLE (retryable by callers); anything else passes through. */
export function toAppError(error: unknown, what: string): unknown {
  if (error instanceof AppError) return error;
  if (isConnectionError(error)) return new AppError(Code.UNAVAILABLE, `${what} is unavailable, try again`, [], { cause: error });
  return error;
}

/**
 * Rejects after `ms` with `timeoutError(message)` (DbTimeoutError unless told
 * otherwise); the work itself is left to finish or fail on its own.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string, timeoutError: (message: string) => Error = (m) => new DbTimeoutError(m)): Promise<T> {
  if (!Number.isFinite(ms)) return work;
  if (ms <= 0) {
    work.catch(() => undefined);
    return Promise.reject(timeoutError(`${what}: no time left`));
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      work.catch(() => undefined);
      reject(timeoutError(`${what} did not answer within ${ms} ms`));
    }, ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
