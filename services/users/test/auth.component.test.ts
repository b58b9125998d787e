import postgres from 'postgres';
import { users } from '@tessera/contracts';
import { AccessTokenVerifier, generateSigningKey } from '@tessera/auth';
import { createRegistry } from '@tessera/metrics';
import { createClient, GrpcStatus, type PromiseClient, type RunningService, type ServiceError } from '@tessera/grpc-kit';
import { sharedRedisUrl, testDatabase, until, type TestDatabase } from '@tessera/testing';
import { actingAsNamedUser, identities, testSigningKeys, usersTestConfig } from './fixtures/users-config';
import { startUsersService } from '../src/service';

const ADMIN = { email: 'root@tessera.test', password: 'admin password long enough' };

describe('users: login, refresh tokens, API keys, OAuth clients (real gRPC, Postgres, Redis)', () => {
  let db: TestDatabase;
  let service: RunningService;
  let accounts: PromiseClient<users.UsersServiceClient>;
  let auth: PromiseClient<users.AuthServiceClient>;
  let keys: PromiseClient<users.ApiKeysServiceClient>;
  let clients: PromiseClient<users.OAuthClientsServiceClient>;
  let verifier: AccessTokenVerifier;
  const registry = createRegistry();
  const signing = testSigningKeys('k-new', 'k-old');

  beforeAll(async () => {
    db = await testDatabase('auth');
    service = await startUsersService(
      usersTestConfig(db, {
        REDIS_URL: sharedRedisUrl(),
        JWT_SIGNING_KEYS: signing.json,
        JWT_ISSUER: 'https://auth.tessera.test',
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        // The theft scenarios below replay at once; the grace window has its own test (auth-hardening).
        REFRESH_REUSE_GRACE_MS: '0',
      }),
    );
    const target = `127.0.0.1:${service.grpcPort}`;
    const mint = (sub: string, role?: 'user' | 'admin') => signing.mint(sub, role, 'https://auth.tessera.test');
    accounts = actingAsNamedUser(createClient(users.UsersServiceClient, users.UsersServiceService, target, { registry }), mint);
    auth = createClient(users.AuthServiceClient, users.AuthServiceService, target, { registry });
    // VerifyApiKey is the edge's to call.
    keys = actingAsNamedUser(createClient(users.ApiKeysServiceClient, users.ApiKeysServiceService, target, { registry, identity: identities.signer('edge') }), mint);
    clients = actingAsNamedUser(createClient(users.OAuthClientsServiceClient, users.OAuthClientsServiceService, target, { registry }), mint);
    verifier = new AccessTokenVerifier({ issuer: 'https://auth.tessera.test', audience: 'tessera-api', maxTokenAgeSeconds: 900, fetchJwks: async () => ({ keys: (await auth.getJwks({})).keys.map((k) => ({ ...k })) }) });
  });

  afterAll(async () => {
    for (const c of [accounts, auth, keys, clients]) c.close();
    await service.stop();
    await db.drop();
  });

  async function register(email: string, password = 'a perfectly long password') {
    return (await accounts.createUser({ email, password, displayName: email.split('@')[0]! })).user!;
  }

  const code = async (p: Promise<unknown>) => ((await p.then(() => undefined, (e: unknown) => e)) as ServiceError | undefined)?.code;
  const details = async (p: Promise<unknown>) => ((await p.then(() => undefined, (e: unknown) => e)) as ServiceError | undefined)?.details;

  test('when a user logs in, then the access token verifies against the JWKS and names the user', async () => {
    const user = await register('login@example.com');
    const { tokens, user: loggedIn } = await auth.login({ email: 'LOGIN@example.com', password: 'a perfectly long password' });
    expect(loggedIn!.id).toBe(user.id);
    expect(tokens).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    expect(tokens!.refreshToken).toMatch(/^trt_\d+_[0-9A-Za-z]{34}$/);
    await expect(verifier.verify(tokens!.accessToken)).resolves.toMatchObject({ sub: user.id, role: 'user' });
    const jwks = await auth.getJwks({});
    expect(jwks.keys.map((k) => k.kid)).toEqual(['k-new', 'k-old']);
    expect(JSON.parse(Buffer.from(tokens!.accessToken.split('.')[0]!, 'base64url').toString())).toEqual({ alg: 'ES256', kid: 'k-new', typ: 'at+jwt' });
  });

  test('when the password is wrong or the email unknown, then both get the same UNAUTHENTICATED answer', async () => {
    await register('careful@example.com');
    expect(await code(auth.login({ email: 'careful@example.com', password: 'not the password at all' }))).toBe(GrpcStatus.UNAUTHENTICATED);
    const wrongPassword = await details(auth.login({ email: 'careful@example.com', password: 'not the password at all' }));
    const unknownEmail = await details(auth.login({ email: 'nobody@example.com', password: 'not the password at all' }));
    expect(wrongPassword).toBe('wrong email or password');
    expect(unknownEmail).toBe(wrongPassword);
  });

  test('when a refresh token is used, then it rotates; when the spent one comes back, then the whole family is revoked', async () => {
    await register('rotate@example.com');
    const first = (await auth.login({ email: 'rotate@example.com', password: 'a perfectly long password' })).tokens!;
    const second = (await auth.refreshToken({ refreshToken: first.refreshToken })).tokens!;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    await expect(verifier.verify(second.accessToken)).resolves.toMatchObject({ sub: expect.stringMatching(/^usr_\d+$/) });

    expect(await code(auth.refreshToken({ refreshToken: first.refreshToken }))).toBe(GrpcStatus.UNAUTHENTICATED);
    // The thief replayed the old token: the legitimate newer token is dead too.
    expect(await code(auth.refreshToken({ refreshToken: second.refreshToken }))).toBe(GrpcStatus.UNAUTHENTICATED);
  });

  test('when a user logs out, then the refresh token no longer works', async () => {
    await register('bye@example.com');
    const { refreshToken } = (await auth.login({ email: 'bye@example.com', password: 'a perfectly long password' })).tokens!;
    await auth.logout({ refreshToken });
    expect(await code(auth.refreshToken({ refreshToken }))).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(await code(auth.refreshToken({ refreshToken: 'trt_1_garbage' }))).toBe(GrpcStatus.UNAUTHENTICATED);
  });

  test('when an API key is created, verified and revoked, then revocation takes effect at once and every bad key gets the same answer', async () => {
    const owner = await register('keys@example.com');
    const created = await keys.createApiKey({ userId: owner.id, name: 'ci', scopes: ['orders:read', 'products:read'] });
    expect(created.secret).toMatch(/^tsk_\d+_[0-9A-Za-z]{34}$/);
    expect(created.apiKey).toMatchObject({ userId: owner.id, name: 'ci', scopes: ['orders:read', 'products:read'] });
    expect(created.secret.startsWith(created.apiKey!.prefix)).toBe(true);
    await expect(keys.verifyApiKey({ key: created.secret })).resolves.toMatchObject({ userId: owner.id, keyId: created.apiKey!.id, scopes: ['orders:read', 'products:read'] });
    expect(JSON.stringify(await keys.listApiKeys({ userId: owner.id }))).not.toContain(created.secret);

    const expiring = await keys.createApiKey({ userId: owner.id, name: 'short', scopes: ['orders:read'], expireTime: new Date(Date.now() + 1_500) });
    await keys.verifyApiKey({ key: expiring.secret });
    await keys.revokeApiKey({ userId: owner.id, id: created.apiKey!.id });
    await until('the short-lived key to expire', () => keys.verifyApiKey({ key: expiring.secret }).then(() => false, () => true));

    const tampered = `${created.secret.slice(0, -7)}${created.secret.slice(-7, -6) === 'a' ? 'b' : 'a'}${created.secret.slice(-6)}`;
    const answers = await Promise.all([created.secret, expiring.secret, tampered, 'tsk_123_nothing', 'nonsense'].map((key) => keys.verifyApiKey({ key }).then(() => 'accepted', (e: ServiceError) => `${e.code}:${e.details}`)));
    expect(new Set(answers)).toEqual(new Set([`${GrpcStatus.UNAUTHENTICATED}:invalid API key`]));
  });

  test('when someone revokes another user\'s key or asks for scopes they cannot grant, then NOT_FOUND and INVALID_ARGUMENT', async () => {
    const alice = await register('alice@example.com');
    const bob = await register('bob@example.com');
    const { apiKey } = await keys.createApiKey({ userId: alice.id, name: 'mine', scopes: ['orders:read'] });
    expect(await code(keys.revokeApiKey({ userId: bob.id, id: apiKey!.id }))).toBe(GrpcStatus.NOT_FOUND);
    expect(await code(keys.createApiKey({ userId: bob.id, name: 'power', scopes: ['products:write'] }))).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(await code(keys.createApiKey({ userId: bob.id, name: 'past', scopes: ['orders:read'], expireTime: new Date(Date.now() - 1_000) }))).toBe(GrpcStatus.INVALID_ARGUMENT);
  });

  test('when an OAuth client exchanges its credentials, then it gets a token for the requested subset of its scopes', async () => {
    const { client, clientSecret } = await clients.createOAuthClient({ name: 'warehouse', scopes: ['products:read', 'products:write'] });
    expect(clientSecret).toMatch(/^tcs_\d+_/);
    const { tokens } = await auth.issueClientToken({ clientId: client!.id, clientSecret, scope: 'products:read' });
    expect(tokens!.refreshToken).toBe('');
    await expect(verifier.verify(tokens!.accessToken)).resolves.toMatchObject({ sub: client!.id, clientId: client!.id, scopes: ['products:read'] });
    expect(await code(auth.issueClientToken({ clientId: client!.id, clientSecret: `${clientSecret}x`, scope: '' }))).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(await code(auth.issueClientToken({ clientId: client!.id, clientSecret, scope: 'users:write' }))).toBe(GrpcStatus.PERMISSION_DENIED);
    await clients.deleteOAuthClient({ id: client!.id });
    expect(await code(auth.issueClientToken({ clientId: client!.id, clientSecret, scope: '' }))).toBe(GrpcStatus.UNAUTHENTICATED);
  });

  test('when the admin from config starts the service, then it exists as admin and the admin listing pages over every user', async () => {
    const { user } = await auth.login(ADMIN);
    expect(user!.role).toBe(users.Role.ROLE_ADMIN);
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await accounts.listUsers({ page: { pageSize: 3, pageToken, offset: 0 } });
      seen.push(...page.users.map((u) => u.email));
      pageToken = page.page?.nextPageToken ?? '';
    } while (pageToken);
    expect(seen).toContain(ADMIN.email);
    expect(new Set(seen).size).toBe(seen.length);
  });

  test('when a user changes their email and is then deleted, then login follows the change and the account and its keys stop working', async () => {
    const user = await register('old@example.com');
    const { secret } = await keys.createApiKey({ userId: user.id, name: 'k', scopes: ['orders:read'] });
    await accounts.updateUser({ id: user.id, email: 'New@Example.com', displayName: 'Renamed' });
    expect((await accounts.getUser({ id: user.id })).user).toMatchObject({ email: 'new@example.com', displayName: 'Renamed' });
    await expect(auth.login({ email: 'new@example.com', password: 'a perfectly long password' })).resolves.toMatchObject({ tokens: { accessToken: expect.any(String), refreshToken: expect.any(String) } });
    expect(await code(auth.login({ email: 'old@example.com', password: 'a perfectly long password' }))).toBe(GrpcStatus.UNAUTHENTICATED);
    await register('taken@example.com');
    expect(await code(accounts.updateUser({ id: user.id, email: 'taken@example.com' }))).toBe(GrpcStatus.ALREADY_EXISTS);

    await accounts.deleteUser({ id: user.id });
    expect(await code(accounts.getUser({ id: user.id }))).toBe(GrpcStatus.NOT_FOUND);
    expect(await code(auth.login({ email: 'new@example.com', password: 'a perfectly long password' }))).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(await code(keys.verifyApiKey({ key: secret }))).toBe(GrpcStatus.UNAUTHENTICATED);
    // The email is free again.
    await expect(register('new@example.com')).resolves.toMatchObject({ email: 'new@example.com', id: expect.not.stringMatching(user.id) });
  });

  test('when an email change crashed after claiming the new address, then that address can still be registered', async () => {
    const user = await register('halfway@example.com');
    // What a crash between "claim the new email" and "move the user" leaves behind.
    const sql = postgres(db.primaryUrl, { max: 1 });
    await sql`insert into user_emails (email, user_id) values ('orphaned@example.com', ${user.id.slice(4)})`;
    await sql.end();
    await expect(register('orphaned@example.com')).resolves.toMatchObject({ email: 'orphaned@example.com' });
    expect((await accounts.getUser({ id: user.id })).user!.email).toBe('halfway@example.com');
  });

  test('when every table is dumped, then no password, refresh token, API key or client secret is in it in plaintext', async () => {
    const password = 'plaintext password that must not be stored';
    const user = await register('dumped@example.com', password);
    const { tokens } = await auth.login({ email: 'dumped@example.com', password });
    const { secret } = await keys.createApiKey({ userId: user.id, name: 'dump', scopes: ['orders:read'] });
    const { clientSecret } = await clients.createOAuthClient({ name: 'dump', scopes: ['products:read'] });
    const sql = postgres(db.primaryUrl, { max: 1 });
    const tables = (await sql<{ tablename: string }[]>`select tablename from pg_tables where schemaname = 'public'`).map((t) => t.tablename);
    let dump = '';
    for (const table of tables) dump += JSON.stringify(await sql.unsafe(`select * from "${table}"`), (_k, v: unknown) => (v instanceof Buffer ? v.toString('hex') : v));
    await sql.end();
    expect(tables).toEqual(expect.arrayContaining(['users', 'refresh_tokens', 'api_keys', 'oauth_clients']));
    for (const secretValue of [password, tokens!.refreshToken, secret, clientSecret]) {
      expect(dump).not.toContain(secretValue);
      expect(dump).not.toContain(secretValue.slice(-20));
    }
  });
});
