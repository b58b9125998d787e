import type { orders as pb } from '@tessera/contracts';
import { allow, type Policies } from '@tessera/grpc-kit';

/**
 * Who may call each orders RPC: a user acts on their own orders only. The
 * batched read serves the edge, which coalesces many users' reads into one
 * call after authenticating each of them.
 */
export const ordersPolicies: Policies<pb.OrdersServiceServer> = {
  createOrder: allow.user({ scopes: ['orders:write'], owner: 'userId' }),
  getOrder: allow.user({ scopes: ['orders:read'], owner: 'userId' }),
  batchGetOrders: allow.services('edge'),
  listOrders: allow.user({ scopes: ['orders:read'], owner: 'userId' }),
  cancelOrder: allow.user({ scopes: ['orders:write'], owner: 'userId' }),
};
