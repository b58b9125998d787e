import { ConfigError, env, loadConfig } from '@tessera/config';
import { IN_PROCESS_TARGET, tracingConfigShape } from '@tessera/grpc-kit';
import { z } from 'zod';
import { EDGE, SERVICES } from './parts';
import { prefixOf } from './prefix';

/** What the monolith itself reads; everything else belongs to its parts. */
export const monolithConfigShape = {
  HOST: env.host('0.0.0.0'),
  /** The one /metrics of the process: every part's series, each labelled with its `component`. */
  METRICS_PORT: env.port(9464),
  ...tracingConfigShape,
  LOG_LEVEL: env.logLevel(),
  DRAIN_DELAY_MS: env.milliseconds(5_000),
  SHUTDOWN_TIMEOUT_MS: env.milliseconds(25_000),
  /** Apply every part's pending migrations before starting (off in Kubernetes, where the pod's migrate init container does it). */
  MIGRATE_ON_START: env.flag(false),
  CPU_PROFILE_DIR: z.string().optional(),
};

export type ServiceName = keyof typeof SERVICES;
export const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];
export type PartName = ServiceName | 'edge';
export const PART_NAMES: readonly PartName[] = [...SERVICE_NAMES, 'edge'];

/**
 * A part's environment: the shared variables, then its own under its prefix
 * (`ORDERS__DATABASE_CLUSTERS` is orders' DATABASE_CLUSTERS), so two parts
 * can hold different values for the same name. Every peer address (each
 * `<SERVICE>_TARGET`, each EVENT_SUBSCRIBERS entry) becomes IN_PROCESS_TARGET:
 * in a monolith the parts call each other in-process. Which events go where
 * still comes from EVENT_SUBSCRIBERS, as the topology renders it.
 */
export function partEnv(name: PartName, source: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  const prefixes = PART_NAMES.map(prefixOf);
  const own = prefixOf(name);
  const result: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(source)) if (!prefixes.some((p) => key.startsWith(p))) result[key] = value;
  for (const [key, value] of Object.entries(source)) if (key.startsWith(own)) result[key.slice(own.length)] = value;
  // The monolith migrates for its parts (their migration paths are its own once bundled).
  const targets = Object.fromEntries(SERVICE_NAMES.map((s) => [`${s.toUpperCase()}_TARGET`, IN_PROCESS_TARGET]));
  const subscribers = result.EVENT_SUBSCRIBERS?.split(';')
    .filter((entry) => entry.trim())
    .map((entry) => `${IN_PROCESS_TARGET}${entry.includes('=') ? entry.slice(entry.indexOf('=')) : ''}`)
    .join(';');
  return { ...result, ...targets, ...(subscribers ? { EVENT_SUBSCRIBERS: subscribers } : {}), MIGRATE_ON_START: 'false' };
}

/** Every part's config, validated at once: one error lists every bad variable with the part it belongs to. */
export function loadMonolithConfig(source: Readonly<Record<string, string | undefined>> = process.env) {
  const problems: string[] = [];
  const attempt = <T>(label: string, load: () => T): T | undefined => {
    try {
      return load();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems.map((p) => (label ? `${label}${p}` : p)));
      return undefined;
    }
  };
  const own = attempt('', () => loadConfig(monolithConfigShape, source));
  const services = Object.fromEntries(SERVICE_NAMES.map((name) => [name, attempt(`${name}: `, () => SERVICES[name].load(partEnv(name, source)))]));
  const edge = attempt('edge: ', () => EDGE.load(partEnv('edge', source)));
  if (problems.length > 0 || !own || !edge) throw new ConfigError(problems);
  return { ...own, services: services as Record<ServiceName, unknown>, edge };
}

export type MonolithConfig = ReturnType<typeof loadMonolithConfig>;
