import { users as pb } from '@tessera/contracts';
import { AppError, Code } from '@tessera/errors';
import type { AsyncServiceImpl } from '@tessera/grpc-kit';
import { createUser } from '../../domain/create-user';
import { getUser } from '../../domain/get-user';
import type { PasswordHasher, User, UserRepository } from '../../domain/user';
import { formatUserId, parseUserId } from '../../domain/user-id';

export interface UsersDeps {
  users: UserRepository;
  hasher: PasswordHasher;
}

const toPb = (user: User): pb.User => ({
  id: formatUserId(user.id),
  email: user.email,
  displayName: user.displayName,
  role: user.role === 'admin' ? pb.Role.ROLE_ADMIN : pb.Role.ROLE_USER,
  createTime: user.createdAt,
  updateTime: user.updatedAt,
});

// The rest of the users API arrives with the users-and-auth issue.
const notYet = async (): Promise<never> => {
  throw new AppError(Code.UNIMPLEMENTED, 'not implemented yet');
};

/** Decode → use case → encode; nothing else lives here. */
export function usersHandlers(deps: UsersDeps): AsyncServiceImpl<pb.UsersServiceServer> {
  return {
    createUser: async (req) => ({ user: toPb(await createUser({ email: req.email, password: req.password, displayName: req.displayName }, deps)) }),
    getUser: async (req) => ({ user: toPb(await getUser(parseUserId(req.id), deps)) }),
    updateUser: notYet,
    deleteUser: notYet,
    listUsers: notYet,
  };
}
