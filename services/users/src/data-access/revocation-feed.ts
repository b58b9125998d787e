import { ALL_FIELD, REVOCATIONS_TOPIC, revocationKey, sessionField } from '@tessera/auth';
import { changePublisher, redisConnection } from '@tessera/cache';
import type { Logger } from '@tessera/logging';
import type { Revocations } from '../domain/sessions';

/**
 * Tells the verifiers (the edges) which sessions ended, through Redis (see
 * @tessera/auth's revocations.ts for the layout). Entries live as long as the
 * access tokens they end could. Best effort by design: when Redis is down the
 * refresh tokens are still revoked in Postgres, and the access tokens of the
 * ended sessions die at their `exp` (at most the access-token TTL); the
 * failure is logged.
 */
export function revocationFeed(o: { url: string; commandTimeoutMs: number; accessTokenTtlSeconds: number; logger: Logger }): Revocations & { close(): void } {
  if (o.url === 'memory://') return { ended: async () => undefined, close: () => undefined };
  const redis = redisConnection(o.url, o.commandTimeoutMs);
  redis.on('error', () => undefined);
  const notices = changePublisher(o.url, REVOCATIONS_TOPIC, o.commandTimeoutMs);
  return {
    async ended(subject, what) {
      const fields: Record<string, string> = 'sessions' in what ? Object.fromEntries(what.sessions.map((s) => [sessionField(s), '1'])) : { [ALL_FIELD]: String(Date.now()) };
      if (Object.keys(fields).length === 0) return;
      const key = revocationKey(subject);
      try {
        // Past the access-token TTL (plus clock tolerance) every token it could end has expired anyway.
        await redis.multi().hset(key, fields).pexpire(key, (o.accessTokenTtlSeconds + 60) * 1000).exec();
        notices.publish([subject]);
      } catch (error) {
        o.logger.error({ err: error, subject }, 'could not publish a revocation; the ended sessions\' access tokens live until they expire');
      }
    },
    close() {
      redis.disconnect();
      notices.close();
    },
  };
}
