import { AppError } from '@tessera/errors';
import type { PasswordHasher, User, UserRepository } from './user';
import { assertValid, displayNameViolation, emailViolation, normalizeEmail, passwordViolation } from './validation';

export interface CreateUserInput {
  email: string;
  password: string;
  displayName: string;
}

export async function createUser(
  input: CreateUserInput,
  deps: { users: UserRepository; hasher: PasswordHasher },
  deadline: number,
): Promise<{ user: User; token: string }> {
  const email = normalizeEmail(input.email);
  assertValid([emailViolation(email), passwordViolation(input.password, email), displayNameViolation(input.displayName)]);
  const passwordHash = await deps.hasher.hash(input.password);
  const { user, token } = await deps.users.insert({ shard: deps.users.shardForEmail(email), email, displayName: input.displayName.trim(), passwordHash }, deadline);
  if (!user) throw AppError.alreadyExists('an account with this email already exists');
  return { user, token };
}
