import { payments as pb } from '@tessera/contracts';
import { formatId, parseId } from '@tessera/data';
import { AppError } from '@tessera/errors';
import { incomingConsistencyTokens, returnConsistencyToken, type AsyncServiceImpl, type CallContext } from '@tessera/grpc-kit';
import type { Payment, PaymentStatus } from '../../domain/payment';
import * as payments from '../../domain/payments';

const STATUS: Record<PaymentStatus, pb.PaymentStatus> = {
  pending: pb.PaymentStatus.PAYMENT_STATUS_PENDING,
  authorized: pb.PaymentStatus.PAYMENT_STATUS_AUTHORIZED,
  captured: pb.PaymentStatus.PAYMENT_STATUS_CAPTURED,
  declined: pb.PaymentStatus.PAYMENT_STATUS_DECLINED,
  refunded: pb.PaymentStatus.PAYMENT_STATUS_REFUNDED,
};

const toPb = (p: Payment): pb.Payment => ({
  id: formatId('payment', p.id),
  userId: formatId('user', p.userId),
  orderId: formatId('order', p.orderId),
  status: STATUS[p.status],
  amount: { amountMinor: p.amountMinor, currency: p.currency },
  paymentMethod: p.paymentMethod,
  declineReason: p.declineReason,
  ledger: p.ledger.map((e) => ({ status: STATUS[e.status], amount: { amountMinor: e.amountMinor, currency: e.currency }, processorReference: e.processorReference, createTime: e.createdAt })),
  createTime: p.createdAt,
});

/** Sends the write's token back in the trailers and answers with the payment. */
function answer(ctx: CallContext, { value, token }: payments.WrittenPayment): { payment: pb.Payment } {
  returnConsistencyToken(ctx, token);
  return { payment: toPb(value) };
}

export function paymentsHandlers(deps: payments.PaymentsDeps): AsyncServiceImpl<pb.PaymentsServiceServer> {
  const user = (id: string) => parseId('user', id, '/user_id');
  return {
    authorizePayment: async (req, ctx) => {
      if (!req.amount) throw AppError.invalidArgument('amount is required', [{ field: '/amount', description: 'required' }]);
      const written = await payments.authorizePayment(
        { userId: user(req.userId), orderId: parseId('order', req.orderId, '/order_id'), amountMinor: req.amount.amountMinor, currency: req.amount.currency, paymentMethod: req.paymentMethod, key: req.idempotencyKey },
        deps,
        ctx.deadline,
      );
      return answer(ctx, written);
    },
    capturePayment: async (req, ctx) => answer(ctx, await payments.capturePayment(user(req.userId), parseId('payment', req.paymentId, '/payment_id'), deps, ctx.deadline)),
    refundPayment: async (req, ctx) => answer(ctx, await payments.refundPayment(user(req.userId), parseId('payment', req.paymentId, '/payment_id'), deps, ctx.deadline)),
    getPayment: async (req, ctx) => ({ payment: toPb(await payments.getPayment(user(req.userId), parseId('payment', req.id), deps, ctx.deadline)) }),
    listPayments: async (req, ctx) => ({ payments: (await payments.listPayments(user(req.userId), parseId('order', req.orderId, '/order_id'), deps, { tokens: incomingConsistencyTokens(ctx), deadline: ctx.deadline })).map(toPb) }),
  };
}
