import { AppError, type FieldViolation } from '@tessera/errors';

/** Trims and lower-cases; one normalized form is what uniqueness is checked against. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

// Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is proven by email, not by regex.
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;

export function emailViolation(email: string): FieldViolation | undefined {
  if (email.length > 254 || !EMAIL.test(email)) return { field: '/email', description: 'must be a valid email address' };
  return undefined;
}

/**
 * NIST SP 800-63B style: length is what matters (12 to 128 characters), plus a
 * refusal of passwords that are one repeated character or contain the email's
 * local part. No composition rules.
 */
export function passwordViolation(password: string, email: string, field = '/password'): FieldViolation | undefined {
  const length = [...password].length;
  if (length < 12) return { field, description: 'must be at least 12 characters' };
  if (length > 128) return { field, description: 'must be at most 128 characters' };
  if (/^(.)\1*$/u.test(password)) return { field, description: 'must not be a single repeated character' };
  const local = email.split('@')[0] ?? '';
  if (local.length >= 4 && password.toLowerCase().includes(local)) return { field, description: 'must not contain your email address' };
  return undefined;
}

export function displayNameViolation(name: string): FieldViolation | undefined {
  const length = [...name.trim()].length;
  if (length < 1 || length > 100) return { field: '/display_name', description: 'must be 1 to 100 characters' };
  return undefined;
}

export function assertValid(violations: (FieldViolation | undefined)[]): void {
  const found = violations.filter((v): v is FieldViolation => v !== undefined);
  if (found.length > 0) throw AppError.invalidArgument('request has invalid fields', found);
}
