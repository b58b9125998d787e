import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Where to look for ports: below the kernel's ephemeral range. A port from
 * listen(0) comes from that range, which is also where outgoing connections
 * get their local ports, so under a parallel test run one of them could take
 * it before the server meant for it binds (CI saw redis-server fail to start so).
 */
function candidateRange(): [number, number] {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && low > 12_000) return [10_000, low - 1];
  } catch {
    // Not Linux: the usual default range starts at 49152 (IANA) or 32768 (Linux).
  }
  return [10_000, 32_767];
}

const canBind = (port: number, host: string) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });

/** A port that was free a moment ago on `host`, chosen at random outside the ephemeral range. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [low, high] = candidateRange();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (await canBind(port, host)) return port;
  }
  throw new Error(`no free port between ${low} and ${high} on ${host}`);
}
