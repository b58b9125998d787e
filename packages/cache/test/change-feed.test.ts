import { createLogger, type Logger } from '@tessera/logging';
import { sharedRedisUrl, until } from '@tessera/testing';
import { changePublisher, subscribeChanges } from '@tessera/cache';

describe('change notices over Redis pub/sub', () => {
  test('when several subscribers listen on different topics, then each is subscribed and hears only its own topic', async () => {
    const warnings: string[] = [];
    const base = createLogger({ service: 'test', level: 'silent' });
    const logger = Object.assign(Object.create(base) as Logger, { warn: (_o: unknown, msg: string) => warnings.push(msg) });
    const topics = ['feed-a', 'feed-b', 'feed-c'].map((t) => `${t}-${Date.now()}`);
    const heard = new Map<string, string[]>(topics.map((t) => [t, []]));
    const ready = new Set<string>();
    const subscriptions = topics.map((topic) => subscribeChanges(sharedRedisUrl(), topic, { changed: (ids) => heard.get(topic)!.push(...ids), resync: () => ready.add(topic) }, logger));
    const publishers = topics.map((topic) => changePublisher(sharedRedisUrl(), topic, 500));
    try {
      await until('every subscriber to connect', () => ready.size === topics.length);
      // Publish until every subscriber heard its own id: a subscription that failed never would.
      await until('every topic to be heard', () => {
        topics.forEach((topic, i) => publishers[i]!.publish([`id-${i}`]));
        return topics.every((t) => heard.get(t)!.length > 0);
      }, 5_000, 50);
      topics.forEach((topic, i) => expect(new Set(heard.get(topic))).toEqual(new Set([`id-${i}`])));
      // SUBSCRIBE answered, not timed out (a 0 ms command timeout used to race it).
      expect(warnings).toEqual([]);
    } finally {
      subscriptions.forEach((s) => s.close());
      publishers.forEach((p) => p.close());
    }
  });
});
