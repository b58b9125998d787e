import type { Registry } from 'prom-client';
import type { ServiceTokenSigner } from '@tessera/auth';
import type { ShardedDb } from '@tessera/data';
import type { Logger } from '@tessera/logging';
import { grpcDelivery, parseSubscribers } from './grpc-delivery';
import { OutboxRelay } from './relay';

export interface Relays {
  /** Wake the relay of a cluster after a commit that enqueued events there. */
  poke(cluster: string): void;
  stop(): Promise<void>;
}

/** A producing service's relays: one per physical cluster, pushing to the configured subscribers over gRPC. */
export function startRelays(options: { producer: string; db: ShardedDb; subscribers: string; logger: Logger; registry: Registry; identity: ServiceTokenSigner | undefined }): Relays {
  const delivery = grpcDelivery(parseSubscribers(options.subscribers), options.registry, options.identity);
  const relays = new Map(
    options.db.clusters.map((cluster) => [cluster.name, new OutboxRelay({ producer: options.producer, cluster, deliver: delivery.deliver, logger: options.logger, registry: options.registry })]),
  );
  relays.forEach((r) => r.start());
  return {
    poke: (cluster) => relays.get(cluster)?.poke(),
    async stop() {
      await Promise.all([...relays.values()].map((r) => r.stop()));
      delivery.close();
    },
  };
}
