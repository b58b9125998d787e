import type { Logger } from '@tessera/logging';
import { redisConnection } from './redis-store';

/**
 * Change notices between processes over Redis pub/sub: a writer publishes the
 * ids it changed (after commit) on a topic; readers holding copies drop them.
 * Best effort by nature (a notice sent while a reader is disconnected is lost),
 * so readers also bound staleness by a TTL and drop everything whenever their
 * subscription (re)connects. Redis holds nothing here that matters if lost.
 */
export const changeChannel = (topic: string) => `tessera:changes:${topic}`;

export interface ChangePublisher {
  publish(ids: readonly string[]): void;
  close(): void;
}

export function changePublisher(url: string, topic: string, commandTimeoutMs: number): ChangePublisher {
  if (url === 'memory://') return { publish: () => undefined, close: () => undefined };
  const redis = redisConnection(url, commandTimeoutMs);
  redis.on('error', () => undefined);
  return {
    // Fire and forget: readers' TTLs bound what a lost notice costs.
    publish: (ids) => void (ids.length ? redis.publish(changeChannel(topic), ids.join(',')).catch(() => undefined) : undefined),
    close: () => redis.disconnect(),
  };
}

export interface ChangeSubscription {
  close(): void;
}

export function subscribeChanges(url: string, topic: string, handlers: { changed(ids: string[]): void; resync(): void }, logger: Logger): ChangeSubscription {
  if (url === 'memory://') return { close: () => undefined };
  // A subscriber connection carries nothing else; it waits, so no command timeout.
  const redis = redisConnection(url, 0);
  redis.on('error', () => undefined);
  redis.on('ready', () => {
    // Notices may have been missed while disconnected: start over.
    handlers.resync();
    redis.subscribe(changeChannel(topic)).catch((error: unknown) => logger.warn({ err: error, topic }, 'could not subscribe to change notices'));
  });
  redis.on('message', (_channel: string, message: string) => handlers.changed(message.split(',')));
  return { close: () => redis.disconnect() };
}
