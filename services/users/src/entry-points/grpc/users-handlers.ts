import { users as pb } from '@tessera/contracts';
import { pageRequest, parseId } from '@tessera/data';
import { returnConsistencyToken, type AsyncServiceImpl } from '@tessera/grpc-kit';
import * as accounts from '../../domain/accounts';
import { consistency, userToPb } from './mapping';

/** Decode → use case → encode; nothing else lives here. */
export function usersHandlers(deps: accounts.AccountsDeps): AsyncServiceImpl<pb.UsersServiceServer> {
  return {
    createUser: async (req, ctx) => {
      const { value: user, token } = await accounts.createUser({ email: req.email, password: req.password, displayName: req.displayName }, deps, ctx.deadline);
      returnConsistencyToken(ctx, token);
      return { user: userToPb(user) };
    },
    getUser: async (req, ctx) => ({ user: userToPb(await accounts.getUser(parseId('user', req.id), deps, consistency(ctx))) }),
    updateUser: async (req, ctx) => {
      const changes = { ...(req.displayName !== undefined ? { displayName: req.displayName } : {}), ...(req.email !== undefined ? { email: req.email } : {}) };
      // Until calls carry a verified caller (issue 13), the edge's authorization decides an admin action: no password sent.
      const reauth = req.currentPassword !== undefined ? { currentPassword: req.currentPassword } : 'admin-action';
      const { value: user, token } = await accounts.updateUser(parseId('user', req.id), changes, reauth, deps, ctx.deadline);
      returnConsistencyToken(ctx, token);
      return { user: userToPb(user) };
    },
    deleteUser: async (req, ctx) => {
      const { token } = await accounts.deleteUser(parseId('user', req.id), deps, ctx.deadline);
      returnConsistencyToken(ctx, token);
      return {};
    },
    changePassword: async (req, ctx) => {
      await accounts.changePassword(parseId('user', req.id), { currentPassword: req.currentPassword, newPassword: req.newPassword }, deps, ctx.deadline);
      return {};
    },
    listUsers: async (req, ctx) => {
      const page = await accounts.listUsers(pageRequest(req.page), deps, ctx.deadline);
      return { users: page.users.map(userToPb), page: { nextPageToken: page.nextPageToken } };
    },
  };
}
