import type { payments as pb } from '@tessera/contracts';
import { allow, type Policies } from '@tessera/grpc-kit';

/** Who may call each payments RPC: money moves only for orders; a user reads their own payments. */
export const paymentsPolicies: Policies<pb.PaymentsServiceServer> = {
  authorizePayment: allow.services('orders'),
  capturePayment: allow.services('orders'),
  refundPayment: allow.services('orders'),
  getPayment: allow.user({ scopes: ['orders:read'], owner: 'userId' }),
  listPayments: allow.user({ scopes: ['orders:read'], owner: 'userId' }),
};
