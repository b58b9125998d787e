import { AppError } from '@tessera/errors';
import type { Consistency, User, UserRepository } from './user';

export async function getUser(id: string, deps: { users: UserRepository }, consistency: Consistency): Promise<User> {
  const user = await deps.users.findById(id, consistency);
  if (!user) throw AppError.notFound('user');
  return user;
}
