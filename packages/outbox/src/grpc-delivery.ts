import { events as pb } from '@tessera/contracts';
import { createClient } from '@tessera/grpc-kit';
import type { Registry } from 'prom-client';
import type { ServiceTokenSigner } from '@tessera/auth';
import type { OutboxEvent } from './relay';

export interface Subscriber {
  /** gRPC target of a service implementing tessera.events.v1.EventConsumerService. */
  target: string;
  /** Event type prefixes it wants ("order.", "payment."); empty for all. */
  types: string[];
}

/**
 * Push delivery over gRPC: the transport is the services' own RPC stack, so
 * there is no broker to run; durability lives in the outbox table, and
 * consumers deduplicate by event id, which makes at-least-once safe.
 */
export function grpcDelivery(subscribers: Subscriber[], registry: Registry, identity: ServiceTokenSigner | undefined, deadlineMs = 10_000): { deliver: (events: OutboxEvent[]) => Promise<void>; close: () => void } {
  const clients = subscribers.map((s) => ({ ...s, client: createClient(pb.EventConsumerServiceClient, pb.EventConsumerServiceService, s.target, { registry, identity, defaultDeadlineMs: deadlineMs }) }));
  return {
    async deliver(events) {
      await Promise.all(
        clients.map(async ({ client, types }) => {
          const wanted = events.filter((e) => types.length === 0 || types.some((t) => e.type.startsWith(t)));
          if (wanted.length === 0) return;
          await client.consumeEvents({
            events: wanted.map((e) => ({ id: e.id, type: e.type, aggregateId: e.aggregateId, userId: e.userId, payloadJson: JSON.stringify(e.payload), occurredAt: e.occurredAt })),
          });
        }),
      );
    },
    close: () => clients.forEach((c) => c.client.close()),
  };
}

/** `notifications:50055=order.|payment.;audit:50060` → subscribers (no `=` means every type). */
export function parseSubscribers(spec: string): Subscriber[] {
  return spec
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const [target, types = ''] = entry.split('=');
      return { target: target!.trim(), types: types.split('|').map((t) => t.trim()).filter(Boolean) };
    });
}
