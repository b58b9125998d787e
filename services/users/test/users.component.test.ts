import path from 'node:path';
import postgres from 'postgres';
import { credentials, loadPackageDefinition, type Client, type ClientDuplexStream } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { users } from '@tessera/contracts';
import { createRegistry } from '@tessera/metrics';
import { createClient, GrpcStatus, MetadataKeys, type PromiseClient, type RunningService, type ServiceError } from '@tessera/grpc-kit';
import { testDatabase, type TestDatabase } from '@tessera/testing';
import { testSigningKeys, usersTestConfig } from './fixtures/users-config';
import { startUsersService } from '../src/service';

describe('users service (real gRPC server, real Postgres)', () => {
  let db: TestDatabase;
  let service: RunningService;
  let client: PromiseClient<users.UsersServiceClient>;

  beforeAll(async () => {
    db = await testDatabase('users');
    const signing = testSigningKeys('k-users');
    service = await startUsersService(usersTestConfig(db, { JWT_SIGNING_KEYS: signing.json, GRPC_REFLECTION: 'true' }));
    // An admin's session: reads of any id get past the policy, so the answers here are the service's own.
    client = createClient(users.UsersServiceClient, users.UsersServiceService, `127.0.0.1:${service.grpcPort}`, { registry: createRegistry(), bearer: await signing.mint('usr_1', 'admin') });
  });

  afterAll(async () => {
    client.close();
    await service.stop();
    await db.drop();
  });

  const violations = (error: ServiceError) => JSON.parse(String(error.metadata.get(MetadataKeys.fieldViolations)[0] ?? '[]')) as { field: string }[];

  test('when a user is created, then it can be read back by id with a normalized email', async () => {
    let token = '';
    const { user: created } = await client.createUser(
      { email: '  Ada@Example.COM ', password: 'correct horse battery staple', displayName: 'Ada' },
      { onTrailers: (trailers) => (token = String(trailers.get(MetadataKeys.consistencyToken)[0] ?? '')) },
    );
    expect(created).toMatchObject({ email: 'ada@example.com', displayName: 'Ada', role: users.Role.ROLE_USER });
    expect(created!.id).toMatch(/^usr_[1-9]\d*$/);
    expect(created!.createTime).toBeInstanceOf(Date);
    expect(token).toMatch(/^v1\.main\.[0-9A-F]+\/[0-9A-F]+$/);

    // Read back at once with the write's token: never a miss, whichever node serves it.
    const { user: read } = await client.getUser({ id: created!.id }, { metadata: { [MetadataKeys.consistencyToken]: token } });
    expect(read).toEqual(created);
  });

  test('when the email is taken (in any case), then ALREADY_EXISTS and no second row', async () => {
    await client.createUser({ email: 'grace@example.com', password: 'a long enough passphrase', displayName: 'Grace' });
    await expect(client.createUser({ email: 'GRACE@example.com', password: 'another long passphrase', displayName: 'G' })).rejects.toMatchObject({ code: GrpcStatus.ALREADY_EXISTS });
    const sql = postgres(db.primaryUrl, { max: 1 });
    const [row] = await sql`select count(*)::int as n from users where email = 'grace@example.com'`;
    await sql.end();
    expect(row!.n).toBe(1);
  });

  test('when fields are invalid, then INVALID_ARGUMENT lists each bad field and nothing is stored', async () => {
    const error = (await client.createUser({ email: 'not-an-email', password: 'short', displayName: '' }).catch((e: unknown) => e)) as ServiceError;
    expect(error.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(violations(error).map((v) => v.field).sort()).toEqual(['/display_name', '/email', '/password']);
    const sql = postgres(db.primaryUrl, { max: 1 });
    const [row] = await sql`select count(*)::int as n from users where email = 'not-an-email'`;
    await sql.end();
    expect(row!.n).toBe(0);
  });

  test.each(['123', 'usr_', 'usr_abc', 'ord_1', 'usr_-1', 'usr_99999999999999999999', 'usr_0', ''])('when the id is %p, then INVALID_ARGUMENT', async (id) => {
    await expect(client.getUser({ id })).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
  });

  test('when the id is well formed but unknown, then NOT_FOUND', async () => {
    await expect(client.getUser({ id: 'usr_9223372036854775807' }, { metadata: { [MetadataKeys.consistencyToken]: 'not-a-token' } })).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
  });

  test('when the users table is dumped, then no plaintext password is in it', async () => {
    const password = 'plaintext-should-never-be-stored';
    await client.createUser({ email: 'dump@example.com', password, displayName: 'Dump' });
    const sql = postgres(db.primaryUrl, { max: 1 });
    const rows = await sql`select * from users`;
    await sql.end();
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(password);
    expect(dump).toMatch(/"password_hash":"scrypt\$1024\$8\$3\$/);
  });

  test('when a reflection client lists services, then UsersService is listed', async () => {
    const reflectionProto = path.join(path.dirname(require.resolve('@grpc/reflection')), '..', 'proto', 'grpc', 'reflection', 'v1', 'reflection.proto');
    const pkg = loadPackageDefinition(loadSync(reflectionProto)) as unknown as {
      grpc: { reflection: { v1: { ServerReflection: new (a: string, c: ReturnType<typeof credentials.createInsecure>) => Client & { serverReflectionInfo(): ClientDuplexStream<object, { listServicesResponse?: { service: { name: string }[] } }> } } } };
    };
    const reflection = new pkg.grpc.reflection.v1.ServerReflection(`127.0.0.1:${service.grpcPort}`, credentials.createInsecure());
    const names = await new Promise<string[]>((resolve, reject) => {
      const stream = reflection.serverReflectionInfo();
      stream.on('data', (res) => {
        resolve((res.listServicesResponse?.service ?? []).map((s: { name: string }) => s.name));
        stream.end();
      });
      stream.on('error', reject);
      stream.write({ listServices: '' });
    });
    reflection.close();
    expect(names).toContain('tessera.users.v1.UsersService');
  });
});
