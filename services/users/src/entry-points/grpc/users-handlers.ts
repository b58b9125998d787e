import { users as pb } from '@tessera/contracts';
import { formatId, parseId } from '@tessera/data';
import { AppError, Code } from '@tessera/errors';
import { incomingConsistencyTokens, returnConsistencyToken, type AsyncServiceImpl, type CallContext } from '@tessera/grpc-kit';
import { createUser } from '../../domain/create-user';
import { getUser } from '../../domain/get-user';
import type { Consistency, PasswordHasher, User, UserRepository } from '../../domain/user';

export interface UsersDeps {
  users: UserRepository;
  hasher: PasswordHasher;
}

const toPb = (user: User): pb.User => ({
  id: formatId('user', user.id),
  email: user.email,
  displayName: user.displayName,
  role: user.role === 'admin' ? pb.Role.ROLE_ADMIN : pb.Role.ROLE_USER,
  createTime: user.createdAt,
  updateTime: user.updatedAt,
});

const consistency = (ctx: CallContext): Consistency => ({ tokens: incomingConsistencyTokens(ctx), deadline: ctx.deadline });

// The rest of the users API arrives with the users-and-auth issue.
const notYet = async (): Promise<never> => {
  throw new AppError(Code.UNIMPLEMENTED, 'not implemented yet');
};

/** Decode → use case → encode; nothing else lives here. */
export function usersHandlers(deps: UsersDeps): AsyncServiceImpl<pb.UsersServiceServer> {
  return {
    createUser: async (req, ctx) => {
      const { user, token } = await createUser({ email: req.email, password: req.password, displayName: req.displayName }, deps, ctx.deadline);
      returnConsistencyToken(ctx, token);
      return { user: toPb(user) };
    },
    getUser: async (req, ctx) => ({ user: toPb(await getUser(parseId('user', req.id), deps, consistency(ctx))) }),
    updateUser: notYet,
    deleteUser: notYet,
    listUsers: notYet,
  };
}
