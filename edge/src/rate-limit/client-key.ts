import ipaddr from 'ipaddr.js';

/**
 * The rate-limit key of a client address: IPv4 as it is; IPv6 by its /56, so
 * rotating addresses within one allocation does not dodge a limit.
 */
export function clientKey(ip: string | undefined): string {
  if (!ip || !ipaddr.isValid(ip)) return 'unknown';
  const address = ipaddr.process(ip);
  if (address.kind() === 'ipv4') return address.toString();
  const bytes = (address as ipaddr.IPv6).toByteArray().slice(0, 7);
  return `${Buffer.from(bytes).toString('hex')}::/56`;
}
