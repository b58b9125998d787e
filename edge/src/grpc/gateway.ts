import { makeGenericClientConstructor, type Client, type MethodDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import proxyAddr from '@fastify/proxy-addr';
import { catalog, notifications, orders, payments, PROTO_ROOT, protoFiles, users } from '@tessera/contracts';
import { AppError } from '@tessera/errors';
import { allow, createClient, fromServiceError, GrpcServer, MetadataKeys, type CallContext, type CallOptions, type Policies } from '@tessera/grpc-kit';
import type { Logger } from '@tessera/logging';
import type { Registry } from 'prom-client';
import type { Authenticator } from '../auth/authenticator';
import type { Principal } from '../auth/principal';
import { HttpProblem } from '../errors/problem';
import type { RateLimits } from '../rate-limit/rate-limits';

type Target = 'users' | 'catalog' | 'orders' | 'payments' | 'notifications';

/**
 * The services outside clients may call, by where they run. The event
 * consumer is left out: only the platform's relays push events.
 */
const PUBLIC_SERVICES: [Target, ServiceDefinition][] = [
  ['users', users.UsersServiceService],
  ['users', users.AuthServiceService],
  ['users', users.ApiKeysServiceService],
  ['users', users.OAuthClientsServiceService],
  ['catalog', catalog.CatalogServiceService],
  ['orders', orders.OrdersServiceService],
  ['payments', payments.PaymentsServiceService],
  ['notifications', notifications.NotificationsServiceService],
  ['notifications', notifications.WebhooksServiceService],
];

/** Methods that present a credential of their own (a password, a refresh token, a client secret): the strict per-address limit, as on REST. */
const AUTH_LIMITED = new Set(['/tessera.users.v1.UsersService/CreateUser', '/tessera.users.v1.AuthService/Login', '/tessera.users.v1.AuthService/RefreshToken', '/tessera.users.v1.AuthService/IssueClientToken']);

/** Request metadata a client may send through; everything else (a service token above all) stops here. */
const FORWARDED = [MetadataKeys.consistencyToken] as const;

const raw = (value: Buffer): Buffer => value;

/** The same methods with bytes in and out: the gateway forwards messages without decoding them. */
function passthrough(definition: ServiceDefinition): ServiceDefinition {
  return Object.fromEntries(
    Object.entries(definition).map(([name, method]) => [name, { ...method, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw } satisfies MethodDefinition<Buffer, Buffer>]),
  );
}

export interface GatewayDeps {
  logger: Logger;
  registry: Registry;
  authenticator: Authenticator;
  limits: RateLimits['calls'];
  targets: Record<Target, string>;
  /** The edge's request budget: every forwarded call's deadline is capped by it. */
  budgetMs: number;
  /** proxy-addr's trust function for X-Forwarded-For (the edge's TRUST_PROXY). */
  trustProxy: (address: string, hop: number) => boolean;
  reflection: boolean;
  drainDelayMs: number;
  shutdownTimeoutMs: number;
}

/**
 * The public gRPC API: the services' own RPCs, for outside clients, behind
 * what guards REST. Each call is authenticated here as on REST (a bearer
 * access token, an API key as bearer or `x-api-key`, an OAuth client token),
 * held to the same Redis-shared rate limits (RESOURCE_EXHAUSTED with the
 * retry delay), and forwarded as bytes with the principal's token. The
 * gateway calls without the edge's service identity, so each service's
 * policy table decides exactly as for any outside caller: internal methods
 * answer UNAUTHENTICATED, another user's things PERMISSION_DENIED.
 */
export function createGrpcGateway(deps: GatewayDeps): { server: GrpcServer; close(): void } {
  const server = new GrpcServer({
    logger: deps.logger,
    registry: deps.registry,
    reflection: deps.reflection ? { protoRoot: PROTO_ROOT, files: [protoFiles.users, protoFiles.catalog, protoFiles.orders, protoFiles.payments, protoFiles.notifications] } : undefined,
    drainDelayMs: deps.drainDelayMs,
    shutdownTimeoutMs: deps.shutdownTimeoutMs,
  });
  const clients: { close(): void }[] = [];
  for (const [target, definition] of PUBLIC_SERVICES) {
    const bytes = passthrough(definition);
    const Ctor = makeGenericClientConstructor(bytes, '') as unknown as new (...args: ConstructorParameters<typeof Client>) => Client;
    const client = createClient(Ctor, bytes, deps.targets[target], { registry: deps.registry, defaultDeadlineMs: deps.budgetMs }) as unknown as Record<string, (request: Buffer, options: CallOptions) => Promise<Buffer>> & { close(): void };
    clients.push(client);
    const impl: Record<string, (request: Buffer, ctx: CallContext) => Promise<Buffer>> = {};
    const policies: Record<string, ReturnType<typeof allow.public>> = {};
    for (const [name, method] of Object.entries(definition)) {
      // Public here: the gateway authenticates below, and the service behind it applies the method's policy.
      policies[name] = allow.public();
      impl[name] = async (request, ctx) => {
        const address = clientAddress(ctx, deps.trustProxy);
        const principal = await authenticate(ctx, address, deps);
        await deps.limits.quota(principal, address);
        if (AUTH_LIMITED.has(method.path)) await deps.limits.auth(address);
        const metadata: Record<string, string> = {};
        for (const key of FORWARDED) {
          const value = ctx.metadata.get(key)[0];
          if (typeof value === 'string') metadata[key] = value;
        }
        try {
          return await client[name]!(request, {
            bearer: principal?.bearer,
            metadata,
            deadlineMs: Math.max(1, Math.min(deps.budgetMs, ctx.deadline - Date.now())),
            onTrailers: (trailers) => {
              const token = trailers.get(MetadataKeys.consistencyToken)[0];
              if (token !== undefined) ctx.trailer.set(MetadataKeys.consistencyToken, String(token));
            },
          });
        } catch (error) {
          throw fromServiceError(error);
        }
      };
    }
    server.addService(bytes, impl as never, policies as Policies<never>);
  }
  return { server, close: () => clients.forEach((c) => c.close()) };
}

/** The caller's address: the peer, or with a trusted proxy in front, the X-Forwarded-For entry it appended (as the REST side reads it). */
function clientAddress(ctx: CallContext, trust: (address: string, hop: number) => boolean): string {
  // grpc-js names the peer "127.0.0.1:53412" or "[::1]:53412" (some versions with an "ipv4:" scheme).
  const peer = /^(?:ipv[46]:)?(?:\[([^\]]+)\]|([^:]+)):\d+$/.exec(ctx.peer);
  const socketAddress = peer?.[1] ?? peer?.[2] ?? ctx.peer;
  const forwarded = ctx.metadata.get('x-forwarded-for')[0];
  const request = { headers: typeof forwarded === 'string' ? { 'x-forwarded-for': forwarded } : {}, socket: { remoteAddress: socketAddress } };
  return proxyAddr(request as never, trust);
}

/** Credentials → principal (or none), with failed attempts counted per address as on REST; a bad credential is UNAUTHENTICATED. */
async function authenticate(ctx: CallContext, address: string, deps: GatewayDeps): Promise<Principal | undefined> {
  const authorization = ctx.metadata.get('authorization')[0];
  const apiKey = ctx.metadata.get('x-api-key')[0];
  if (typeof authorization !== 'string' && typeof apiKey !== 'string') return undefined;
  deps.limits.beforeAuthentication(address);
  try {
    return await deps.authenticator.authenticate(typeof authorization === 'string' ? authorization : undefined, typeof apiKey === 'string' ? apiKey : undefined);
  } catch (error) {
    if (error instanceof HttpProblem && error.status === 401) {
      await deps.limits.authenticationFailed(address);
      throw AppError.unauthenticated('invalid or expired credentials');
    }
    throw error;
  }
}
