import ipaddr from 'ipaddr.js';
import { LRUCache } from 'lru-cache';

// Parsing an address costs more than the rest of a rate-limit check: remember recent ones.
const known = new LRUCache<string, string>({ max: 10_000 });

/**
 * The rate-limit key of a client address: IPv4 as it is; IPv6 by its /56, so
 * rotating addresses within one allocation does not dodge a limit.
 */
export function clientKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  let key = known.get(ip);
  if (key === undefined) known.set(ip, (key = parseClientKey(ip)));
  return key;
}

function parseClientKey(ip: string): string {
  if (!ipaddr.isValid(ip)) return 'unknown';
  const address = ipaddr.process(ip);
  if (address.kind() === 'ipv4') return address.toString();
  const bytes = (address as ipaddr.IPv6).toByteArray().slice(0, 7);
  return `${Buffer.from(bytes).toString('hex')}::/56`;
}
