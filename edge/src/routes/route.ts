import type { CallOptions } from '@tessera/grpc-kit';
import type { z } from 'zod';
import type { Principal } from '../auth/principal';
import type { Loaders } from '../batching/loaders';
import type { Clients } from '../clients';
import type { ResponseName } from './responses';
import type { Version } from './version';
import type { VersionFormat } from './version-format';

/** Who may call a route: anyone, a signed-in user (or key/client with the scopes), or an admin. */
export type Access = 'public' | 'user' | 'admin';

export interface RouteContext<P, Q, B> {
  version: Version;
  params: P;
  query: Q;
  body: B;
  principal: Principal | undefined;
  clients: Clients;
  /** Reads coalesced with concurrent requests' into batched RPCs (prefer these for reads by id). */
  load: Loaders;
  fmt: VersionFormat;
  /** Options for a gRPC call on behalf of this request: deadline from the request budget, request id, trace, consistency tokens. */
  call(): CallOptions;
  idempotencyKey: string | undefined;
  /** The calling user's prefixed id (401/403 if the principal is not a user). */
  userId(): string;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Route<P = any, Q = any, B = any> {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** Express path relative to the version prefix, e.g. "/orders/:id". */
  path: string;
  summary: string;
  tag: string;
  access: Access;
  /** Scopes an API key or OAuth client needs; user sessions are bounded by their role instead. */
  scopes: string[];
  /** OAuth clients (no user) may call it. */
  allowClients?: boolean;
  /** Only a person's own session, not a key or client (e.g. creating API keys). */
  sessionOnly?: boolean;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** POST that must carry an Idempotency-Key. */
  idempotent?: boolean;
  /** Stricter per-IP limit (login, registration). */
  authLimited?: boolean;
  /** Documented success status. */
  success: number;
  /** The success body, by name (see responses.ts); none for a 204. */
  response?: ResponseName;
  /** The success answer carries a Location header (the created resource). */
  locates?: boolean;
  /**
   * Where the services' field names sit in this route's request, for the
   * pointers of their field errors ("/expire_time" → "/expires_at"; a
   * prefix also renames what is under it). Paging's "/page_token" is
   * renamed on every route.
   */
  pointers?: Record<string, string>;
  /** Other answers that are also success: a replayed create, an enumeration-safe 202. */
  alsoSuccess?: { status: number; description: string; response: ResponseName; headers?: ('Location' | 'Idempotent-Replayed')[] }[];
  /**
   * A public GET whose answer is the same for every caller: served from the
   * edge's in-process cache, tagged with the object it shows (its prefixed id)
   * so that change notices drop it.
   */
  publicCache?: { tag(params: P, fmt: VersionFormat): string };
  /** A write that changes what public answers show: this edge drops them at once (others on the change notice). */
  invalidatesPublic?: { tag(params: P, fmt: VersionFormat): string };
  handle(ctx: RouteContext<P, Q, B>): Promise<RouteResult>;
}

export function route<P, Q, B>(r: Route<P, Q, B>): Route<P, Q, B> {
  return r;
}
