import { AppError } from '@tessera/errors';
import type { PageRequest } from '@tessera/data';
import { endAllSessions, type LoginThrottle, type RefreshTokenRepository, type Revocations } from './sessions';
import type { PasswordHasher, ReadConsistency, User, UserRepository, Written } from './user';
import { assertValid, displayNameViolation, emailViolation, normalizeEmail, passwordViolation } from './validation';

export interface AccountsDeps {
  users: UserRepository;
  hasher: PasswordHasher;
  refreshTokens: RefreshTokenRepository;
  revocations: Revocations;
  /** Wrong current passwords count as failed logins of the account. */
  throttle: LoginThrottle;
  formatUserId: (id: string) => string;
}

/**
 * Who asks for a change: the account's owner proving it with their current
 * password, or an admin acting on someone else (authorized by the caller).
 */
export type Reauthentication = { currentPassword: string } | 'admin-action';

export async function createUser(input: { email: string; password: string; displayName: string }, deps: AccountsDeps, deadline: number): Promise<Written<User>> {
  const email = normalizeEmail(input.email);
  assertValid([emailViolation(email), passwordViolation(input.password, email), displayNameViolation(input.displayName)]);
  const passwordHash = await deps.hasher.hash(input.password);
  const { value: user, token } = await deps.users.insert({ shard: deps.users.shardForEmail(email), email, displayName: input.displayName.trim(), passwordHash, role: 'user' }, deadline);
  if (!user) throw AppError.alreadyExists('an account with this email already exists');
  return { value: user, token };
}

export async function getUser(id: string, deps: Pick<AccountsDeps, 'users'>, consistency: ReadConsistency): Promise<User> {
  const user = await deps.users.findById(id, consistency);
  if (!user) throw AppError.notFound('user');
  return user;
}

/**
 * Changes a profile. A new email moves the login (and the address account
 * recovery would use), so it takes the current password from the owner, and
 * ends every session of the account: whoever changed it logs in again.
 */
export async function updateUser(id: string, changes: { displayName?: string; email?: string }, reauth: Reauthentication | undefined, deps: AccountsDeps, deadline: number): Promise<Written<User>> {
  const email = changes.email === undefined ? undefined : normalizeEmail(changes.email);
  assertValid([
    changes.displayName === undefined ? undefined : displayNameViolation(changes.displayName),
    email === undefined ? undefined : emailViolation(email),
    changes.displayName === undefined && email === undefined ? { field: '/', description: 'must change at least one field' } : undefined,
  ]);
  if (email !== undefined) await reauthenticate(id, reauth, deps, deadline);
  let result: Written<User | undefined> | undefined;
  if (changes.displayName !== undefined) result = await deps.users.updateDisplayName(id, changes.displayName.trim(), deadline);
  if (email !== undefined) {
    const changed = await deps.users.changeEmail(id, email, deadline);
    if (changed === 'taken') throw AppError.alreadyExists('an account with this email already exists');
    result = changed;
    if (changed?.value) await endAllSessions(id, deps, deadline);
  }
  if (!result?.value) throw AppError.notFound('user');
  return { value: result.value, token: result.token };
}

/** Every live account, newest first, across all shards (admin). */
export async function listUsers(page: PageRequest, deps: Pick<AccountsDeps, 'users'>, deadline: number): Promise<{ users: User[]; nextPageToken: string }> {
  return deps.users.list(page, deadline);
}

/** Changes the password, proven by the current one; every session of the account ends (the caller logs in again). */
export async function changePassword(id: string, input: { currentPassword: string; newPassword: string }, deps: AccountsDeps, deadline: number): Promise<void> {
  if (input.currentPassword.length > 1_024) throw AppError.permissionDenied('the current password is wrong');
  const email = await reauthenticate(id, { currentPassword: input.currentPassword }, deps, deadline);
  assertValid([passwordViolation(input.newPassword, email ?? '', '/new_password')]);
  await deps.users.setPasswordHash(id, await deps.hasher.hash(input.newPassword), deadline);
  await endAllSessions(id, deps, deadline);
}

/** Deletes an account: its sessions end, and every access token issued to it until now stops working. */
export async function deleteUser(id: string, deps: AccountsDeps, deadline: number): Promise<Written<void>> {
  const { value: deleted, token } = await deps.users.softDelete(id, deadline);
  if (!deleted) throw AppError.notFound('user');
  // Its refresh tokens die here; one "everything until now" entry ends its access tokens (no need to list sessions).
  await deps.refreshTokens.revokeAllOf(id, deadline);
  await deps.revocations.ended(deps.formatUserId(id), { all: true });
  return { value: undefined, token };
}

/** Checks who asks for a sensitive change; returns the account's email. */
async function reauthenticate(id: string, reauth: Reauthentication | undefined, deps: AccountsDeps, deadline: number): Promise<string | undefined> {
  if (reauth === 'admin-action') return undefined;
  if (!reauth?.currentPassword) throw AppError.invalidArgument('changing the email needs the current password', [{ field: '/current_password', description: 'required to change the email' }]);
  const user = await deps.users.findById(id, { tokens: [], deadline });
  const stored = user && (await deps.users.findByEmail(user.email, deadline));
  if (!stored || stored.id !== id) throw AppError.notFound('user');
  // The same per-account backoff as login: a stolen session must not brute-force the password here.
  const { retryAfterMs } = await deps.throttle.check(stored.email, deadline);
  if (retryAfterMs > 0) throw AppError.resourceExhausted('too many failed password checks for this account; retry later', retryAfterMs);
  if (!(await deps.hasher.verify(reauth.currentPassword, stored.passwordHash))) {
    await deps.throttle.failed(stored.email, deadline);
    throw AppError.permissionDenied('the current password is wrong');
  }
  return stored.email;
}

/**
 * The admin account from configuration: created if no account holds the
 * email. An existing account is promoted only if the configured password
 * verifies against its own (the operator demonstrably owns it); anyone else
 * who registered the address (after the admin moved off it, say) stays an
 * ordinary user, and the start reports it. The password is set only at
 * creation; change it through the API afterwards.
 */
export async function ensureAdmin(input: { email: string; password: string }, deps: AccountsDeps, deadline: number): Promise<{ admin: User } | { refused: 'email-held-by-another-account' }> {
  const email = normalizeEmail(input.email);
  for (let attempt = 0; attempt < 2; attempt++) {
    const existing = await deps.users.findByEmail(email, deadline);
    if (existing) {
      const { passwordHash, ...user } = existing;
      if (user.role === 'admin') return { admin: user };
      if (!(await deps.hasher.verify(input.password, passwordHash))) return { refused: 'email-held-by-another-account' };
      await deps.users.setRole(user.id, 'admin', deadline);
      return { admin: { ...user, role: 'admin' } };
    }
    assertValid([emailViolation(email), passwordViolation(input.password, email)]);
    const { value } = await deps.users.insert({ shard: deps.users.shardForEmail(email), email, displayName: 'Administrator', passwordHash: await deps.hasher.hash(input.password), role: 'admin' }, deadline);
    if (value) return { admin: value };
    // Another process created it between our lookup and insert: look again.
  }
  throw new Error('admin account could not be created or found');
}
