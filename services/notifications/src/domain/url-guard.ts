import ipaddr from 'ipaddr.js';
import { AppError } from '@tessera/errors';

export interface UrlPolicy {
  /** Plain http:// (local runs only). */
  allowHttp: boolean;
  /** Loopback, private, link-local and other non-public addresses (local runs only). */
  allowPrivate: boolean;
}

/** Resolves a host name to every address it has (dns.lookup with all: true in production). */
export type Resolver = (host: string) => Promise<string[]>;

/**
 * True for addresses a webhook may reach: public unicast only. ipaddr.js
 * classifies ranges (loopback, private, linkLocal — which holds the cloud
 * metadata address 169.254.169.254 —, uniqueLocal, carrierGradeNat, reserved,
 * multicast, unspecified, ...); IPv4-mapped IPv6 is judged as the IPv4 it maps.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === 'unicast';
}

const refuse = (description: string) => AppError.invalidArgument('webhook URL not allowed', [{ field: '/url', description }]);

/** Checks a webhook URL at registration: scheme, no credentials, and every address the host resolves to. */
export async function assertAllowedUrl(raw: string, policy: UrlPolicy, resolve: Resolver): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('must be an absolute URL');
  }
  if (raw.length > 2_000) throw refuse('must be at most 2,000 characters');
  if (url.protocol !== 'https:' && !(policy.allowHttp && url.protocol === 'http:')) throw refuse('must use https');
  if (url.username || url.password) throw refuse('must not carry credentials');
  if (policy.allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = ipaddr.isValid(host) ? [host] : await resolve(host);
  } catch {
    throw refuse('host does not resolve');
  }
  if (addresses.length === 0) throw refuse('host does not resolve');
  if (!addresses.every(isPublicAddress)) throw refuse('must not point at loopback, private, link-local or metadata addresses');
  return url;
}
