import Redis, { Cluster, type RedisOptions } from 'ioredis';
import type { CacheStore } from './store';

// Keys share a hash tag ({...}) with their lease, so one command or script can
// touch both on Redis Cluster.
const valueKey = (ns: string, key: string) => `${ns}:{${key}}`;
const leaseKey = (ns: string, key: string) => `${ns}:{${key}}:lease`;

const SET_IF_LEASE_HELD = `
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  redis.call('DEL', KEYS[2])
  return 1
end
return 0`;

type RedisClient = (Redis | Cluster) & {
  setIfLeaseHeld(valueKey: string, leaseKey: string, token: string, value: string, ttlMs: number): Promise<number>;
};

export interface RedisStoreOptions {
  /** `redis://host:6379` for one node, `redis-cluster://host1:7000,host2:7001` for a Cluster. */
  url: string;
  namespace: string;
  /** Per-command timeout: a paused Redis keeps its sockets open and would otherwise hang every caller. */
  commandTimeoutMs: number;
}

/** Parses the one config value that selects single node or Cluster. */
export function redisConnection(url: string, commandTimeoutMs: number): Redis | Cluster {
  const redisOptions: RedisOptions = {
    // 0 means none: ioredis would arm a 0 ms timer on every command (a subscriber's SUBSCRIBE then races it and often loses).
    ...(commandTimeoutMs > 0 ? { commandTimeout: commandTimeoutMs } : {}),
    connectTimeout: Math.max(1_000, commandTimeoutMs * 5),
    // Queued commands would only wait for a connection that is not there: fail them now.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    lazyConnect: false,
    // Commands issued in the same tick go out as one pipeline: one write and one read per tick under load, not per command.
    enableAutoPipelining: true,
  };
  // redis-cluster://[user:password@]host:port,host:port (user and password URL-encoded, as in redis:// URLs).
  const cluster = /^redis-cluster:\/\/(?:([^:@/]+):([^@/]+)@)?(.+)$/.exec(url);
  if (cluster) {
    if (cluster[1]) Object.assign(redisOptions, { username: decodeURIComponent(cluster[1]), password: decodeURIComponent(cluster[2]!) });
    const nodes = cluster[3]!.split(',').map((hostPort) => {
      const [host, port] = hostPort.split(':');
      return { host: host!, port: Number(port ?? 6379) };
    });
    // A cluster that has marked a node failed answers CLUSTERDOWN to everything; ioredis would resend
    // each command every 100 ms up to 16 times (1.6 s a command, measured 4 s per request in `npm run
    // chaos`). Every caller here has a fallback (the database, per-process limits), so fail at once.
    return new Cluster(nodes, { redisOptions, enableOfflineQueue: false, enableAutoPipelining: true, retryDelayOnClusterDown: 0, slotsRefreshTimeout: Math.max(1_000, commandTimeoutMs * 5) });
  }
  return new Redis(url, redisOptions);
}

export class RedisStore implements CacheStore {
  private readonly redis: RedisClient;

  constructor(private readonly options: RedisStoreOptions) {
    const redis = redisConnection(options.url, options.commandTimeoutMs);
    redis.defineCommand('setIfLeaseHeld', { numberOfKeys: 2, lua: SET_IF_LEASE_HELD });
    // Connection errors are reported through failed commands (and the breaker); don't crash on the event.
    redis.on('error', () => undefined);
    this.redis = redis as RedisClient;
  }

  get(key: string): Promise<string | null> {
    return this.redis.get(valueKey(this.options.namespace, key));
  }

  async acquireLease(key: string, token: string, leaseMs: number): Promise<boolean> {
    return (await this.redis.set(leaseKey(this.options.namespace, key), token, 'PX', leaseMs, 'NX')) === 'OK';
  }

  async setIfLeaseHeld(key: string, token: string, value: string, ttlMs: number): Promise<boolean> {
    const ns = this.options.namespace;
    return (await this.redis.setIfLeaseHeld(valueKey(ns, key), leaseKey(ns, key), token, value, Math.max(1, Math.round(ttlMs)))) === 1;
  }

  async invalidate(keys: readonly string[]): Promise<void> {
    const ns = this.options.namespace;
    // One DEL per key: different keys may live on different Cluster nodes.
    await Promise.all(keys.map((key) => this.redis.del(valueKey(ns, key), leaseKey(ns, key))));
  }

  ttl(key: string): Promise<number> {
    return this.redis.pttl(valueKey(this.options.namespace, key));
  }

  ready(timeoutMs: number): Promise<boolean> {
    if (this.redis.status === 'ready') return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        resolve(false);
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.redis.once('ready', onReady);
    });
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
