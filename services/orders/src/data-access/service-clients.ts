import { catalog as catalogPb, payments as paymentsPb } from '@tessera/contracts';
import { formatId, parseId } from '@tessera/data';
import { createClient, GrpcStatus, MetadataKeys, type ServiceError } from '@tessera/grpc-kit';
import type { Registry } from 'prom-client';
import type { ServiceTokenSigner } from '@tessera/auth';
import { StockUnavailable, type Catalog, type PaymentOutcome, type Payments } from '../domain/order';

const remaining = (deadline: number) => Math.max(1, deadline - Date.now());

/** The catalog over gRPC: prices come from its reservation, by order id. */
export function catalogClient(target: string, registry: Registry, identity: ServiceTokenSigner | undefined): Catalog & { close(): void } {
  const client = createClient(catalogPb.CatalogServiceClient, catalogPb.CatalogServiceService, target, { registry, identity });
  return {
    async reserve(orderId, lines, deadline) {
      try {
        const { products } = await client.reserveStock(
          { orderId: formatId('order', orderId), lines: lines.map((l) => ({ productId: formatId('product', l.productId), quantity: l.quantity })) },
          { deadlineMs: remaining(deadline) },
        );
        return products.map((p) => ({ productId: parseId('product', p.id), name: p.name, unitPriceMinor: p.price?.amountMinor ?? 0, currency: p.price?.currency ?? '' }));
      } catch (error) {
        const e = error as ServiceError;
        if (e.code === GrpcStatus.FAILED_PRECONDITION || e.code === GrpcStatus.INVALID_ARGUMENT) {
          const raw = e.metadata?.get(MetadataKeys.fieldViolations)[0];
          throw new StockUnavailable(e.details, raw ? (JSON.parse(String(raw)) as { field: string; description: string }[]) : [{ field: '/items', description: e.details }]);
        }
        throw error;
      }
    },
    async release(orderId, deadline) {
      await client.releaseStock({ orderId: formatId('order', orderId) }, { deadlineMs: remaining(deadline) });
    },
    close: () => client.close(),
  };
}

/** Payments over gRPC, keyed by the order id: a retry is the same payment, never a second charge. */
export function paymentsClient(target: string, registry: Registry, timeoutMs: number, identity: ServiceTokenSigner | undefined): Payments & { close(): void } {
  const client = createClient(paymentsPb.PaymentsServiceClient, paymentsPb.PaymentsServiceService, target, { registry, identity });
  return {
    async authorize(input, deadline): Promise<PaymentOutcome> {
      try {
        const { payment } = await client.authorizePayment(
          {
            userId: formatId('user', input.userId),
            orderId: formatId('order', input.orderId),
            amount: { amountMinor: input.amountMinor, currency: input.currency },
            paymentMethod: input.paymentMethod,
            idempotencyKey: formatId('order', input.orderId),
          },
          { deadlineMs: Math.min(timeoutMs, remaining(deadline)) },
        );
        const id = parseId('payment', payment!.id);
        if (payment!.status === paymentsPb.PaymentStatus.PAYMENT_STATUS_AUTHORIZED || payment!.status === paymentsPb.PaymentStatus.PAYMENT_STATUS_CAPTURED) return { kind: 'authorized', paymentId: id };
        if (payment!.status === paymentsPb.PaymentStatus.PAYMENT_STATUS_DECLINED) return { kind: 'declined', paymentId: id, reason: payment!.declineReason };
        return { kind: 'unknown' };
      } catch (error) {
        const code = (error as ServiceError).code;
        // The outcome is not known yet: the order stays pending and recovery asks again with the same key.
        if (code === GrpcStatus.UNAVAILABLE || code === GrpcStatus.DEADLINE_EXCEEDED || code === GrpcStatus.CANCELLED) return { kind: 'unknown' };
        throw error;
      }
    },
    async refund(userId, paymentId, deadline) {
      // fromPartial: the deprecated idempotency_key stays unset (refunds are keyed by the payment).
      await client.refundPayment(paymentsPb.RefundPaymentRequest.fromPartial({ userId: formatId('user', userId), paymentId: formatId('payment', paymentId) }), { deadlineMs: remaining(deadline) });
    },
    close: () => client.close(),
  };
}
