import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export const SERVICE_NAMES = ['users', 'catalog', 'orders', 'payments', 'notifications'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
export type Caller = ServiceName | 'edge';

interface Node {
  /** Callee → the environment variable that carries its address. */
  calls?: Partial<Record<ServiceName, string>>;
  /** Subscriber → the event types (prefixes, `|`-separated) pushed to it. */
  events?: Partial<Record<ServiceName, string>>;
  redis?: boolean;
}

export interface Topology {
  services: Record<ServiceName, Node>;
  edge: Node;
}

/** The chart's copy is the source; this reads it for the local runner and the test fixtures. */
export const TOPOLOGY_FILE = path.resolve(__dirname, '..', '..', '..', 'helm', 'tessera', 'files', 'topology.yaml');

let cached: Topology | undefined;

export function loadTopology(): Topology {
  cached ??= parse(readFileSync(TOPOLOGY_FILE, 'utf8')) as Topology;
  return cached;
}

function nodeOf(caller: Caller): Node {
  const topology = loadTopology();
  return caller === 'edge' ? topology.edge : topology.services[caller];
}

/**
 * The environment a process needs to reach its peers: one `<X>_TARGET` per
 * service it calls and EVENT_SUBSCRIBERS for the events it produces, each
 * address given by `address(service)`.
 */
export function peerEnv(caller: Caller, address: (service: ServiceName) => string): Record<string, string> {
  const node = nodeOf(caller);
  const env: Record<string, string> = {};
  for (const [service, variable] of Object.entries(node.calls ?? {}) as [ServiceName, string][]) env[variable] = address(service);
  const subscribers = (Object.entries(node.events ?? {}) as [ServiceName, string][]).map(([service, types]) => `${address(service)}=${types}`);
  if (subscribers.length) env.EVENT_SUBSCRIBERS = subscribers.join(';');
  return env;
}

/** Whether this process uses Redis (and so gets REDIS_URL). */
export function usesRedis(caller: Caller): boolean {
  return nodeOf(caller).redis === true;
}

/**
 * Services grouped into waves: each wave only calls (or pushes events to)
 * services of earlier waves, so a runner can start a wave at once.
 */
export function startWaves(): ServiceName[][] {
  const peersOf = (name: ServiceName) => Object.keys({ ...loadTopology().services[name].calls, ...loadTopology().services[name].events }) as ServiceName[];
  const started = new Set<ServiceName>();
  const waves: ServiceName[][] = [];
  while (started.size < SERVICE_NAMES.length) {
    const wave = SERVICE_NAMES.filter((name) => !started.has(name) && peersOf(name).every((peer) => started.has(peer)));
    if (wave.length === 0) throw new Error(`the topology has a cycle among: ${SERVICE_NAMES.filter((n) => !started.has(n)).join(', ')}`);
    wave.forEach((name) => started.add(name));
    waves.push(wave);
  }
  return waves;
}
