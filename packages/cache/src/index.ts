export { Cache, type CacheOptions } from './cache';
export { RedisStore, redisConnection, type RedisStoreOptions } from './redis-store';
export { MemoryStore } from './memory-store';
export type { CacheStore } from './store';
export { createStore, openStore } from './create-store';
export { changePublisher, subscribeChanges, type ChangePublisher, type ChangeSubscription } from './change-feed';
