import { AppError } from '@tessera/errors';
import type { User, UserRepository } from './user';

export async function getUser(id: string, deps: { users: UserRepository }): Promise<User> {
  const user = await deps.users.findById(id);
  if (!user) throw AppError.notFound('user');
  return user;
}
