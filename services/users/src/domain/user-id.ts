import { AppError } from '@tessera/errors';

const PREFIX = 'usr_';
const DIGITS = /^[1-9][0-9]{0,18}$/;

/** The client-facing form of a user id: "usr_" and the 64-bit id in decimal. */
export function formatUserId(id: string): string {
  return `${PREFIX}${id}`;
}

/** Parses "usr_123" to "123"; anything else (wrong prefix, not a positive 64-bit integer) is INVALID_ARGUMENT. */
export function parseUserId(value: string, field = '/id'): string {
  const digits = value.startsWith(PREFIX) ? value.slice(PREFIX.length) : '';
  if (!DIGITS.test(digits) || BigInt(digits) > 9223372036854775807n) {
    throw AppError.invalidArgument('invalid user id', [{ field, description: `must be a user id like "${PREFIX}123"` }]);
  }
  return digits;
}
