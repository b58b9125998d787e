import type { Metadata } from '@grpc/grpc-js';
import type { ServiceTokenVerifier, VerifiedToken } from '@tessera/auth';
import { AppError } from '@tessera/errors';
import { MetadataKeys } from './metadata-keys';

/**
 * Who may call an RPC. Every method of every service declares one (the
 * service's `policies.ts`); the server refuses to start a service with a
 * method that has none, and checks it before the handler runs.
 *
 * - `public`: anyone (sign-up, login, the catalog).
 * - `user`: a signed-in principal whose credential holds `scopes`. With
 *   `owner`, the request field that names the user must be the credential's
 *   user, unless the credential is an admin's holding `othersNeed`.
 *   `sessionOnly` refuses API keys and OAuth clients (e.g. minting keys).
 * - `admin`: an admin's credential holding `scopes`; with `clients`, also an
 *   OAuth client token holding them.
 * - `services`: only the named Tessera processes (their service tokens).
 */
export type Policy =
  | { kind: 'public' }
  | { kind: 'user'; scopes: readonly string[]; owner?: string; othersNeed?: readonly string[]; sessionOnly?: boolean }
  | { kind: 'admin'; scopes: readonly string[]; clients?: boolean }
  | { kind: 'services'; names: readonly string[] };

export const allow = {
  public: (): Policy => ({ kind: 'public' }),
  user: (options: { scopes?: readonly string[]; owner?: string; othersNeed?: readonly string[]; sessionOnly?: boolean } = {}): Policy => ({ kind: 'user', scopes: options.scopes ?? [], ...options }),
  admin: (scopes: readonly string[], options: { clients?: boolean } = {}): Policy => ({ kind: 'admin', scopes, ...options }),
  services: (...names: string[]): Policy => ({ kind: 'services', names }),
};

/** A table of policies for one service: one entry per method of its generated server interface. */
export type Policies<S> = { [K in keyof S as string extends K ? never : K]: Policy };

/** Who is calling, as proven by the call's credentials. */
export interface Caller {
  /** The Tessera process that made the call (its service token), if any. */
  service?: string;
  /** The signed-in principal (the user's or client's access token, as the edge forwards it or an outside client sends it). */
  user?: VerifiedToken;
}

/** How the server checks credentials; what is not configured cannot be proven, so policies needing it refuse. */
export interface CallAuthentication {
  services?: ServiceTokenVerifier;
  users?: { verify(token: string): Promise<VerifiedToken> };
}

const NOBODY: Caller = Object.freeze({});

/** A credential of a person's own session: not an API key, not an OAuth client. Their role decides what they may do. */
export function isSession(user: VerifiedToken): boolean {
  return user.clientId === undefined && user.keyId === undefined;
}

function holds(user: VerifiedToken, scopes: readonly string[]): boolean {
  return isSession(user) || scopes.every((s) => user.scopes.includes(s));
}

/**
 * Proves the caller and checks the policy: UNAUTHENTICATED when a credential
 * the policy needs is missing or invalid, PERMISSION_DENIED when a valid one
 * is not allowed. Credentials a policy does not need are not verified.
 */
export async function authorizeCall(policy: Policy, metadata: Metadata, request: unknown, audience: string, auth: CallAuthentication): Promise<Caller> {
  if (policy.kind === 'public') return NOBODY;
  if (policy.kind === 'services') {
    const token = metadata.get(MetadataKeys.serviceToken)[0];
    if (typeof token !== 'string' || !auth.services) throw AppError.unauthenticated('this method is for Tessera services: a service token is required');
    const service = await auth.services.verify(token, audience);
    if (!policy.names.includes(service)) throw AppError.permissionDenied(`${service} may not call this method`);
    return { service };
  }
  const header = metadata.get('authorization')[0];
  const bearer = typeof header === 'string' ? /^Bearer ([\x21-\x7e]{1,4096})$/i.exec(header)?.[1] : undefined;
  if (!bearer || !auth.users) throw AppError.unauthenticated('a bearer access token is required');
  const user = await auth.users.verify(bearer);
  if (policy.kind === 'admin') {
    const allowed = (user.role === 'admin' && user.sub.startsWith('usr_')) || (policy.clients === true && user.clientId !== undefined);
    if (!allowed || !holds(user, policy.scopes)) throw AppError.permissionDenied('an admin credential with the required scopes is needed');
    return { user };
  }
  if (policy.sessionOnly && !isSession(user)) throw AppError.permissionDenied('only a signed-in session may call this method, not an API key or client');
  if (!holds(user, policy.scopes)) throw AppError.permissionDenied(`the credential lacks a required scope (${policy.scopes.join(' ')})`);
  if (policy.owner !== undefined) {
    const named = (request as Record<string, unknown>)[policy.owner];
    const ownsIt = user.sub.startsWith('usr_') && named === user.sub;
    const actsForOthers = policy.othersNeed !== undefined && user.role === 'admin' && user.sub.startsWith('usr_') && holds(user, policy.othersNeed);
    if (!ownsIt && !actsForOthers) throw AppError.permissionDenied('the request names another user than the credential');
  }
  return { user };
}
