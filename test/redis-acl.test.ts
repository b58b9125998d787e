import { randomBytes } from 'node:crypto';
import { redisConnection } from '@tessera/cache';
import { loadRedisAcl, redisAclRules, startRedis, type RedisNode } from '@tessera/local-infra';
import { scratchDir } from '@tessera/testing';

/**
 * The Redis users of helm/tessera/files/redis-acl.yaml (what the chart and
 * `npm start` configure) against a real redis-server: each process's user
 * does its job and nothing else.
 */
describe('Redis users, one per process', () => {
  let node: RedisNode;
  const passwords = Object.fromEntries(Object.keys(loadRedisAcl().users).map((name) => [name, randomBytes(12).toString('hex')]));
  const connections: ReturnType<typeof redisConnection>[] = [];
  /** A connection as `user`, once it is ready (commands are not queued before: the offline queue is off, as in the services). */
  const as = async (user: string, password = passwords[user]!) => {
    const redis = redisConnection(`redis://${user}:${password}@127.0.0.1:${node.port}`, 2_000);
    connections.push(redis);
    await new Promise<void>((resolve) => {
      redis.once('ready', () => resolve());
      redis.on('error', () => resolve());
    });
    return redis;
  };
  const outcome = (p: Promise<unknown>) => p.then(() => 'ok', (e: Error) => e.message.split(' ')[0]);

  beforeAll(async () => {
    node = await startRedis({ dir: scratchDir('redis-acl'), acl: { rules: redisAclRules(passwords, 'an admin secret'), adminPassword: 'an admin secret' } });
  });

  afterAll(async () => {
    connections.forEach((c) => c.disconnect());
    await node.stop();
  });

  test('when every process that uses Redis has a user, then the topology and the ACL agree', () => {
    expect(Object.keys(passwords).sort()).toEqual(['catalog', 'edge', 'users']);
  });

  test('when catalog works, then it caches under catalog:* and announces product changes, and nothing of users or the edge is open to it', async () => {
    const catalog = await as('catalog');
    expect(await outcome(catalog.set('catalog:{prd_1}', '{}', 'PX', 10_000))).toBe('ok');
    expect(await outcome(catalog.publish('tessera:changes:products', 'prd_1'))).toBe('ok');
    expect(await outcome(catalog.get('users:{apikey:x}'))).toBe('NOPERM');
    expect(await outcome(catalog.set('edge:rl:{ip:1}:1', '1'))).toBe('NOPERM');
    expect(await outcome(catalog.publish('tessera:changes:revocations', 'usr_1'))).toBe('NOPERM');
  });

  test('when users works, then it writes revocations and announces them; the edge can only read them', async () => {
    const users = await as('users');
    expect(await outcome(users.multi().hset('tessera:revoked:{usr_1}', { all: '1' }).pexpire('tessera:revoked:{usr_1}', 10_000).exec())).toBe('ok');
    expect(await outcome(users.publish('tessera:changes:revocations', 'usr_1'))).toBe('ok');
    const edge = await as('edge');
    expect(await edge.hgetall('tessera:revoked:{usr_1}')).toEqual({ all: '1' });
    expect(await outcome(edge.hset('tessera:revoked:{usr_1}', { all: '0' }))).toBe('NOPERM');
    expect(await outcome(edge.del('tessera:revoked:{usr_1}'))).toBe('NOPERM');
    // Its own: rate-limit windows (a script on its key) and remembered write tokens.
    expect(await outcome(edge.eval("return redis.call('INCR', KEYS[1])", 1, 'edge:rl:{ip:1}:7'))).toBe('ok');
    expect(await outcome(edge.set('edge:rtok:{user:usr_1}', 't', 'PX', 1_000))).toBe('ok');
    expect(await outcome(edge.get('users:{profile:1}'))).toBe('NOPERM');
  });

  test('when any process user tries an operator command, then it is refused; a wrong password or none gets nothing', async () => {
    for (const user of Object.keys(passwords)) {
      const redis = await as(user);
      expect([await outcome(redis.flushall()), await outcome(redis.keys('*')), await outcome(redis.config('GET', 'requirepass')), await outcome(redis.call('ACL', 'LIST'))]).toEqual(['NOPERM', 'NOPERM', 'NOPERM', 'NOPERM']);
    }
    const wrong = redisConnection(`redis://edge:not-the-password@127.0.0.1:${node.port}`, 2_000);
    connections.push(wrong);
    expect(await new Promise<string>((resolve) => wrong.once('error', (e: Error) => resolve(e.message)))).toMatch(/WRONGPASS/);
    const anonymous = redisConnection(`redis://127.0.0.1:${node.port}`, 2_000);
    connections.push(anonymous);
    expect(await new Promise<string>((resolve) => anonymous.once('error', (e: Error) => resolve(e.message)))).toMatch(/NOAUTH/);
  });
});
