import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` on its own port, apart from the public API, so the
 * scrape endpoint is never reachable through the ingress.
 */
export async function startMetricsServer(registry: Pick<Registry, 'metrics' | 'contentType'>, port: number, host = '0.0.0.0'): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/metrics' && !req.url?.startsWith('/metrics?'))) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(withoutEmptyFamilies(body)),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The exposition without families that have no series yet (a labelled counter
 * nothing has counted): their HELP and TYPE lines alone say nothing, and
 * make a scrape list families a process has not used.
 */
export function withoutEmptyFamilies(text: string): string {
  const kept: string[] = [];
  let header: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# ')) {
      // A header after a header with no sample between: the earlier family was empty.
      if (header.length && header[0]!.split(' ')[2] !== line.split(' ')[2]) header = [];
      header.push(line);
    } else if (line) {
      kept.push(...header, line);
      header = [];
    }
  }
  return kept.length ? `${kept.join('\n')}\n` : '';
}
