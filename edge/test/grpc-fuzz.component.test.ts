import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import fc from 'fast-check';
import { catalog, events, notifications, orders, payments, users } from '@tessera/contracts';
import { ID_PREFIXES } from '@tessera/data';
import { GrpcStatus } from '@tessera/grpc-kit';
import { startStack, type Stack } from './fixtures/stack';

type Namespace = Record<string, unknown>;
interface MethodDef {
  path: string;
  requestSerialize(value: unknown): Buffer;
}
interface MessageFns {
  fromPartial(value: object): Record<string, unknown>;
}

/** Every gRPC service of the platform, the process that serves it, and its generated module. */
const SERVICES: { process: keyof Stack['targets']; ns: Namespace; name: string }[] = [
  { process: 'users', ns: users, name: 'UsersService' },
  { process: 'users', ns: users, name: 'AuthService' },
  { process: 'users', ns: users, name: 'ApiKeysService' },
  { process: 'users', ns: users, name: 'OAuthClientsService' },
  { process: 'catalog', ns: catalog, name: 'CatalogService' },
  { process: 'orders', ns: orders, name: 'OrdersService' },
  { process: 'payments', ns: payments, name: 'PaymentsService' },
  { process: 'notifications', ns: notifications, name: 'NotificationsService' },
  { process: 'notifications', ns: notifications, name: 'WebhooksService' },
  { process: 'notifications', ns: events, name: 'EventConsumerService' },
];

// Strings that have broken things before: NUL, ids past 2^63-1, huge, odd Unicode, injection-shaped.
const nasty = fc.oneof(
  fc.string(),
  fc.constantFrom('', '\u0000', 'a\u0000b', 'usr_9999999999999999999', 'ord_99999999999999999999', 'prd_-1', 'usr_0', '9'.repeat(40), 'x'.repeat(5_000), "'; drop table users; --", '\ud800', 'https://169.254.169.254/', 'pm_card_ok', 'USD', 'XXX'),
);
// Ids of the right shape (any prefix, any value up to 2^63-1), so requests get past validation into the domain and the database.
const anId = fc.tuple(fc.constantFrom(...Object.values(ID_PREFIXES)), fc.bigInt({ min: 1n, max: (1n << 63n) - 1n })).map(([prefix, n]) => `${prefix}_${n}`);
const text = fc.oneof(nasty, anId, fc.emailAddress(), fc.constantFrom('pm_card_ok', 'pm_card_declined', 'https://example.com/hook', 'orders:read'));
const number = fc.oneof(fc.integer(), fc.constantFrom(0, -1, 2 ** 31 - 1, -(2 ** 31), Number.MAX_SAFE_INTEGER, 1e15));

/** A request of this message type with every top-level field fuzzed by the kind of its default value. */
function fuzzed(fns: MessageFns): fc.Arbitrary<Record<string, unknown>> {
  const defaults = fns.fromPartial({});
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, value] of Object.entries(defaults)) {
    if (typeof value === 'string') fields[key] = text;
    else if (typeof value === 'number') fields[key] = number;
    else if (typeof value === 'boolean') fields[key] = fc.boolean();
    else if (Array.isArray(value)) fields[key] = fc.array(text, { maxLength: 3 });
  }
  return fc.record(fields, { requiredKeys: [] }).map((partial) => ({ ...defaults, ...partial }));
}

/**
 * Random and malformed requests to every RPC of every service, on the real
 * platform: whatever the input, the answer is a status the caller can act on
 * (INVALID_ARGUMENT, NOT_FOUND, …), never INTERNAL, UNKNOWN or DATA_LOSS.
 */
describe('every gRPC method under malformed input', () => {
  let stack: Stack;
  const clients = new Map<string, Client>();

  beforeAll(async () => {
    stack = await startStack({ edges: 1 });
  }, 60_000);

  afterAll(async () => {
    for (const c of clients.values()) c.close();
    await stack.stop();
  });

  function call(target: string, path: string, body: Buffer): Promise<number> {
    let client = clients.get(target);
    if (!client) clients.set(target, (client = new Client(target, credentials.createInsecure())));
    return new Promise((resolve) => {
      client!.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, body, new Metadata(), { deadline: Date.now() + 5_000 }, (error: ServiceError | null) => resolve(error ? error.code : GrpcStatus.OK));
    });
  }

  test('when every RPC gets fuzzed requests, then none answers INTERNAL, UNKNOWN or DATA_LOSS', async () => {
    const failures: string[] = [];
    let methods = 0;
    for (const service of SERVICES) {
      const definition = service.ns[`${service.name}Service`] as Record<string, MethodDef>;
      expect(definition).toBeDefined();
      for (const [name, method] of Object.entries(definition)) {
        methods++;
        const requestType = service.ns[`${name[0]!.toUpperCase()}${name.slice(1)}Request`] as MessageFns | undefined;
        expect(`${method.path} ${requestType ? 'has' : 'has no'} request type`).toBe(`${method.path} has request type`);
        await fc.assert(
          fc.asyncProperty(fuzzed(requestType!), async (request) => {
            let body: Buffer;
            try {
              body = method.requestSerialize(request);
            } catch {
              return; // not encodable (e.g. a number out of its field's range): nothing to send
            }
            const code = await call(stack.targets[service.process], method.path, body);
            if ([GrpcStatus.INTERNAL, GrpcStatus.UNKNOWN, GrpcStatus.DATA_LOSS].includes(code)) failures.push(`${method.path} → ${code}: ${JSON.stringify(request).slice(0, 300)}`);
          }),
          { numRuns: 40 },
        );
      }
    }
    expect(methods).toBeGreaterThanOrEqual(40);
    expect(failures).toEqual([]);
  }, 120_000);
});
