import { AppError } from '@tessera/errors';
import type { PageRequest } from '@tessera/data';
import type { PasswordHasher, ReadConsistency, User, UserRepository, Written } from './user';
import { assertValid, displayNameViolation, emailViolation, normalizeEmail, passwordViolation } from './validation';

export interface AccountsDeps {
  users: UserRepository;
  hasher: PasswordHasher;
}

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

export async function updateUser(id: string, changes: { displayName?: string; email?: string }, deps: AccountsDeps, deadline: number): Promise<Written<User>> {
  const email = changes.email === undefined ? undefined : normalizeEmail(changes.email);
  assertValid([
    changes.displayName === undefined ? undefined : displayNameViolation(changes.displayName),
    email === undefined ? undefined : emailViolation(email),
    changes.displayName === undefined && email === undefined ? { field: '/', description: 'must change at least one field' } : undefined,
  ]);
  let result: Written<User | undefined> | undefined;
  if (changes.displayName !== undefined) result = await deps.users.updateDisplayName(id, changes.displayName.trim(), deadline);
  if (email !== undefined) {
    const changed = await deps.users.changeEmail(id, email, deadline);
    if (changed === 'taken') throw AppError.alreadyExists('an account with this email already exists');
    result = changed;
  }
  if (!result?.value) throw AppError.notFound('user');
  return { value: result.value, token: result.token };
}

/** Every live account, newest first, across all shards (admin). */
export async function listUsers(page: PageRequest, deps: Pick<AccountsDeps, 'users'>, deadline: number): Promise<{ users: User[]; nextPageToken: string }> {
  return deps.users.list(page, deadline);
}

export async function deleteUser(id: string, deps: Pick<AccountsDeps, 'users'>, deadline: number): Promise<Written<void>> {
  const { value: deleted, token } = await deps.users.softDelete(id, deadline);
  if (!deleted) throw AppError.notFound('user');
  return { value: undefined, token };
}

/**
 * The admin account from configuration: created if missing, promoted if it
 * exists as an ordinary user. Its password is set only at creation; change it
 * through the API afterwards.
 */
export async function ensureAdmin(input: { email: string; password: string }, deps: AccountsDeps, deadline: number): Promise<User> {
  const email = normalizeEmail(input.email);
  const existing = await deps.users.findByEmail(email, deadline);
  if (existing) {
    if (existing.role !== 'admin') await deps.users.setRole(existing.id, 'admin', deadline);
    return { ...existing, role: 'admin' };
  }
  assertValid([emailViolation(email), passwordViolation(input.password, email)]);
  const { value } = await deps.users.insert({ shard: deps.users.shardForEmail(email), email, displayName: 'Administrator', passwordHash: await deps.hasher.hash(input.password), role: 'admin' }, deadline);
  if (value) return value;
  // Another process created it between our lookup and insert.
  const raced = await deps.users.findByEmail(email, deadline);
  if (!raced) throw new Error('admin account could not be created or found');
  if (raced.role !== 'admin') await deps.users.setRole(raced.id, 'admin', deadline);
  return { ...raced, role: 'admin' };
}
