import { randomUUID } from 'node:crypto';
import { users } from '@tessera/contracts';
import { hashSecret, mintSecret, revocationKey } from '@tessera/auth';
import { redisConnection } from '@tessera/cache';
import { createRegistry } from '@tessera/metrics';
import { createClient, GrpcStatus, MetadataKeys, type PromiseClient, type RunningService, type ServiceError } from '@tessera/grpc-kit';
import { sharedRedisUrl, testDatabase, type TestDatabase } from '@tessera/testing';
import { actingAsNamedUser, identities, testSigningKeys, usersTestConfig } from './fixtures/users-config';
import { startUsersService } from '../src/service';

const PASSWORD = 'a perfectly long password';

/** Each attack of the auth review, reproduced against a real users service (Postgres, Redis), then shown refused. */
describe('users: auth hardening', () => {
  let db: TestDatabase;
  let service: RunningService | undefined;
  let accounts: PromiseClient<users.UsersServiceClient>;
  let auth: PromiseClient<users.AuthServiceClient>;
  const redis = redisConnection(sharedRedisUrl(), 1_000);
  const signing = testSigningKeys('k-hard');

  async function start(extra: Record<string, string> = {}) {
    if (service) {
      accounts.close();
      auth.close();
      await service.stop();
    }
    service = await startUsersService(
      usersTestConfig(db, { REDIS_URL: sharedRedisUrl(), JWT_SIGNING_KEYS: signing.json, LOGIN_BACKOFF_BASE_MS: '400', REFRESH_REUSE_GRACE_MS: '1500', ...extra }),
    );
    const target = `127.0.0.1:${service.grpcPort}`;
    const registry = createRegistry();
    accounts = actingAsNamedUser(createClient(users.UsersServiceClient, users.UsersServiceService, target, { registry }), signing.mint);
    auth = createClient(users.AuthServiceClient, users.AuthServiceService, target, { registry });
  }

  beforeAll(async () => {
    db = await testDatabase('auth-hardening');
    await start();
  });

  afterAll(async () => {
    accounts.close();
    auth.close();
    await service?.stop();
    redis.disconnect();
    await db.drop();
  });

  const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as ServiceError);
  const email = (name: string) => `${name}-${randomUUID().slice(0, 8)}@hardening.test`;
  const register = async (address: string, password = PASSWORD) => (await accounts.createUser({ email: address, password, displayName: 'Someone' })).user!;
  const roleOf = async (address: string, password: string) => (await auth.login({ email: address, password })).user!.role;

  test('when someone registered the admin email before the service starts with it, then they are not promoted; the owner proving the password is', async () => {
    const squatted = email('admin');
    await register(squatted, 'the squatter own password');
    await start({ ADMIN_EMAIL: squatted, ADMIN_PASSWORD: 'the operator configured secret' });
    expect(await roleOf(squatted, 'the squatter own password')).toBe(users.Role.ROLE_USER);
    // The operator's password does not open the squatter's account either.
    expect((await failure(auth.login({ email: squatted, password: 'the operator configured secret' })))?.code).toBe(GrpcStatus.UNAUTHENTICATED);

    const owned = email('owner');
    await register(owned, 'the operator configured secret');
    await start({ ADMIN_EMAIL: owned, ADMIN_PASSWORD: 'the operator configured secret' });
    expect(await roleOf(owned, 'the operator configured secret')).toBe(users.Role.ROLE_ADMIN);
    await start();
  });

  test('when logins fail past the free attempts, then the account backs off (RESOURCE_EXHAUSTED with a retry delay), unknown emails alike, and a success after the wait clears it', async () => {
    const known = email('victim');
    await register(known);
    for (const address of [known, email('nobody')]) {
      for (let i = 0; i < 5; i++) expect((await failure(auth.login({ email: address, password: `wrong guess ${i}` })))?.code).toBe(GrpcStatus.UNAUTHENTICATED);
      // The sixth failure starts the backoff; then even the right password waits (and costs no hashing).
      await expect(failure(auth.login({ email: address, password: 'wrong guess 5' }))).resolves.toMatchObject({ code: GrpcStatus.UNAUTHENTICATED });
      const locked = (await failure(auth.login({ email: address, password: PASSWORD })))!;
      expect(locked.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
      expect(Number(locked.metadata.get(MetadataKeys.retryAfterMs)[0])).toBeGreaterThan(0);
    }
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await auth.login({ email: known, password: PASSWORD })).user!.email).toBe(known);
    // Cleared: a single wrong password is an ordinary failure again.
    expect((await failure(auth.login({ email: known, password: 'wrong again' })))?.code).toBe(GrpcStatus.UNAUTHENTICATED);
  });

  test('when one refresh token is used twice at once, then both get tokens; when it comes back after the grace window, then the session is revoked and announced', async () => {
    const address = email('tabs');
    const user = await register(address);
    const first = (await auth.login({ email: address, password: PASSWORD })).tokens!;
    const [a, b] = await Promise.all([auth.refreshToken({ refreshToken: first.refreshToken }), auth.refreshToken({ refreshToken: first.refreshToken })]);
    expect(a.tokens!.refreshToken).not.toBe(b.tokens!.refreshToken);
    await new Promise((r) => setTimeout(r, 1_700));
    expect((await failure(auth.refreshToken({ refreshToken: first.refreshToken })))?.code).toBe(GrpcStatus.UNAUTHENTICATED);
    for (const t of [a, b]) expect((await failure(auth.refreshToken({ refreshToken: t.tokens!.refreshToken })))?.code).toBe(GrpcStatus.UNAUTHENTICATED);
    const sid = JSON.parse(Buffer.from(first.accessToken.split('.')[1]!, 'base64url').toString()).sid as string;
    expect(await redis.hgetall(revocationKey(user.id))).toMatchObject({ [`sid:${sid}`]: '1' });
  });

  test('when a user changes their email, then it needs the current password, and it ends every session', async () => {
    const address = email('mover');
    const user = await register(address);
    const session = (await auth.login({ email: address, password: PASSWORD })).tokens!;
    expect((await failure(accounts.updateUser({ id: user.id, email: email('stolen'), currentPassword: '' })))?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect((await failure(accounts.updateUser({ id: user.id, email: email('stolen'), currentPassword: 'not the password' })))?.code).toBe(GrpcStatus.PERMISSION_DENIED);
    expect((await accounts.getUser({ id: user.id })).user!.email).toBe(address);
    const moved = email('moved');
    expect((await accounts.updateUser({ id: user.id, email: moved, currentPassword: PASSWORD })).user!.email).toBe(moved);
    expect((await failure(auth.refreshToken({ refreshToken: session.refreshToken })))?.code).toBe(GrpcStatus.UNAUTHENTICATED);
    const sid = JSON.parse(Buffer.from(session.accessToken.split('.')[1]!, 'base64url').toString()).sid as string;
    expect(Object.keys(await redis.hgetall(revocationKey(user.id)))).toContain(`sid:${sid}`);
  });

  test('when an account is deleted, then every token issued to it until now is announced dead', async () => {
    const user = await register(email('leaver'));
    const before = Date.now();
    await accounts.deleteUser({ id: user.id });
    expect(Number((await redis.hgetall(revocationKey(user.id))).all)).toBeGreaterThanOrEqual(before);
  });

  test('when a gRPC request carries a NUL character in any string, then INVALID_ARGUMENT naming the field, and nothing reaches Postgres', async () => {
    const bad = await failure(accounts.createUser({ email: 'nul\u0000@hardening.test', password: PASSWORD, displayName: 'x' }));
    expect(bad?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(JSON.parse(String(bad!.metadata.get(MetadataKeys.fieldViolations)[0]))).toEqual([{ field: '/email', description: 'must not contain NUL characters' }]);
    expect((await failure(auth.login({ email: 'someone@hardening.test', password: 'pass\u0000word' })))?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
  });

  test('when someone who can write to Redis plants a cached principal for an invented key, or raises a cached key to admin, then the service ignores both (what it caches is authenticated)', async () => {
    const keys = createClient(users.ApiKeysServiceClient, users.ApiKeysServiceService, `127.0.0.1:${service!.grpcPort}`, { registry: createRegistry(), identity: identities.signer('edge') });
    try {
      const owner = await register(email('planted'));
      const entry = (principal: object) => JSON.stringify({ v: JSON.stringify(principal), d: 1, e: Date.now() + 60_000 });
      const slot = (secret: string) => `users:{apikey:${hashSecret(secret).toString('hex')}}`;
      // A well-formed key that was never issued, with an admin principal planted for it.
      const invented = mintSecret('tsk', '4242424242');
      await redis.set(slot(invented), entry({ userId: owner.id.slice(4), keyId: '4242424242', scopes: ['users:write', 'products:write'], role: 'admin', expiresAtMs: null }), 'PX', 60_000);
      expect((await failure(keys.verifyApiKey({ key: invented })))?.code).toBe(GrpcStatus.UNAUTHENTICATED);
      // A real key, once verified (so cached), then its entry raised to admin.
      const { apiKey, secret } = await keys.createApiKey({ userId: owner.id, name: 'ci', scopes: ['orders:read'] }, { bearer: await signing.mint(owner.id) });
      await keys.verifyApiKey({ key: secret });
      expect(await redis.get(slot(secret))).not.toBeNull();
      await redis.set(slot(secret), entry({ userId: owner.id.slice(4), keyId: apiKey!.id.slice(4), scopes: ['users:write'], role: 'admin', expiresAtMs: null }), 'PX', 60_000);
      expect(await keys.verifyApiKey({ key: secret })).toMatchObject({ role: users.Role.ROLE_USER, scopes: ['orders:read'] });
    } finally {
      keys.close();
    }
  });
});
