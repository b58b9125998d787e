import { ConfigError, env } from '@tessera/config';
import { z } from 'zod';
import { createLogger, type Logger } from '@tessera/logging';
import { createRegistry, startMetricsServer, type Registry } from '@tessera/metrics';
import { GrpcServer } from './server';
import { profileOnSignal } from './profiling';
import { onShutdown } from './shutdown';
import type { CallAuthentication } from './policy';
import { serviceAuthConfigShape } from './service-auth';
import { startTracing, stopTracing } from '@tessera/tracing';

/** Where spans go (OTLP/HTTP, e.g. http://otel-collector:4318); unset: no tracing. Every process reads it. */
export const tracingConfigShape = {
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  /** Share of new traces recorded (0–1; the OpenTelemetry variable for the trace-id ratio sampler); calls follow their caller's choice. */
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1),
};

/** The variables every gRPC service reads; services spread this into their own config shape. */
export const grpcServiceConfigShape = {
  GRPC_HOST: env.host('0.0.0.0'),
  METRICS_PORT: env.port(9464),
  LOG_LEVEL: env.logLevel(),
  /** Time to answer NOT_SERVING before refusing calls; a few readiness periods in Kubernetes. */
  DRAIN_DELAY_MS: env.milliseconds(5_000),
  SHUTDOWN_TIMEOUT_MS: env.milliseconds(25_000),
  MAX_CONNECTION_AGE_MS: env.milliseconds(5 * 60_000),
  /** Apply pending migrations at start; off in Kubernetes, where each pod's `migrate` init container does it. */
  MIGRATE_ON_START: env.flag(false),
  /** Where SIGUSR2 writes on-demand CPU profiles (first signal starts, second writes); unset: off. */
  CPU_PROFILE_DIR: z.string().optional(),
  /**
   * Adaptive admission (load shedding): the concurrency limit follows latency
   * between these bounds; calls over it get RESOURCE_EXHAUSTED (reason
   * OVERLOADED, retry in 1 s) at once. ADMISSION_LIMIT_MAX=0 turns it off.
   */
  ADMISSION_LIMIT_MIN: z.coerce.number().int().min(1).default(64),
  ADMISSION_LIMIT_MAX: z.coerce.number().int().min(0).default(2_048),
  ...tracingConfigShape,
  ...serviceAuthConfigShape,
};

/**
 * Where a service runs: alone in its own process (the default), or as one
 * part of a monolith, which gives each part its registry (served together on
 * the monolith's one /metrics) and binds its gRPC services in-process.
 */
export interface Hosting {
  registry: Registry;
  /** Serve in-process (IN_PROCESS_TARGET) instead of on GRPC_PORT, and leave /metrics to the host. */
  monolith: boolean;
  /** Where the host serves /metrics, when it does (a monolith): what the edge's /readyz reports. */
  metricsPort?: number;
}

/** A process of its own: its registry with the process metrics, its own port and /metrics. */
export function ownProcess(): Hosting {
  return { registry: createRegistry(), monolith: false };
}

export interface RunningService {
  grpcPort: number;
  metricsPort: number;
  stop(): Promise<void>;
}

/**
 * The process entry point shared by every service's and the edge's main.ts: load config (a
 * bad variable is one clear line and exit 1), start, and drain on SIGTERM; or,
 * with the argument `migrate`, apply the migrations and exit.
 */
export function runMain<C extends { LOG_LEVEL: string; DRAIN_DELAY_MS: number; SHUTDOWN_TIMEOUT_MS: number; CPU_PROFILE_DIR?: string | undefined; OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined; OTEL_TRACES_SAMPLER_ARG?: number }>(
  name: string,
  loadConfig: () => C,
  start: (config: C, logger: Logger) => Promise<{ stop(): Promise<void> }>,
  migrate?: (config: C, logger: Logger) => Promise<unknown>,
): void {
  let config: C;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`${name}: ${error instanceof ConfigError ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const logger = createLogger({ service: name, level: config.LOG_LEVEL });
  if (config.CPU_PROFILE_DIR) profileOnSignal(config.CPU_PROFILE_DIR, name, logger);
  if (process.argv[2] === 'migrate') {
    // `node main.js migrate`: apply migrations to every cluster and exit (the pod's init container in Kubernetes).
    if (!migrate) throw new Error(`${name} has no migrations`);
    migrate(config, logger).then(
      (result) => {
        logger.info({ migrations: result }, 'migrations applied');
        logger.flush?.();
        setTimeout(() => process.exit(0), 100);
      },
      (error: unknown) => {
        logger.fatal({ err: error }, 'migrations failed');
        logger.flush?.();
        setTimeout(() => process.exit(1), 100);
      },
    );
    return;
  }
  startTracing({ serviceName: name, endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, sampleRatio: config.OTEL_TRACES_SAMPLER_ARG });
  start(config, logger).then(
    // The spans of the last requests go out after they are served.
    (service) => onShutdown(logger, () => service.stop().then(stopTracing), config.DRAIN_DELAY_MS + config.SHUTDOWN_TIMEOUT_MS + 5_000),
    (error: unknown) => {
      logger.fatal({ err: error }, 'failed to start');
      logger.flush?.();
      setTimeout(() => process.exit(1), 100);
    },
  );
}

export interface ServeOptions {
  config: { GRPC_HOST: string; GRPC_PORT: number; METRICS_PORT: number; DRAIN_DELAY_MS: number; SHUTDOWN_TIMEOUT_MS: number; MAX_CONNECTION_AGE_MS: number; ADMISSION_LIMIT_MIN: number; ADMISSION_LIMIT_MAX: number; GRPC_REFLECTION: boolean };
  /** Methods that keep headroom when the service sheds load (e.g. order status, login). */
  criticalMethods?: readonly string[];
  logger: Logger;
  registry: Registry;
  /** The service's protos, exposed through reflection when GRPC_REFLECTION is on. */
  reflection: { protoRoot: string; files: string[] };
  /** How callers are proven (service tokens, access tokens); the policies decide what each may call. */
  auth: CallAuthentication;
  /** Adds the service implementations. */
  register: (server: GrpcServer) => void;
  /** Closes what the service opened (workers, pools, stores), after gRPC has drained. */
  close: () => Promise<void>;
  /** Part of a monolith: bound in-process, no port, no /metrics of its own. */
  monolith?: boolean;
}

/**
 * The gRPC server and metrics endpoint every service runs, with the same
 * shutdown order: drain calls first, then close the resources they used.
 */
export async function serveGrpc(options: ServeOptions): Promise<RunningService> {
  const { config, logger, registry } = options;
  const server = new GrpcServer({
    logger,
    registry,
    reflection: config.GRPC_REFLECTION ? options.reflection : undefined,
    auth: options.auth,
    drainDelayMs: config.DRAIN_DELAY_MS,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    maxConnectionAgeMs: config.MAX_CONNECTION_AGE_MS,
    ...(config.ADMISSION_LIMIT_MAX > 0
      ? { admission: { min: Math.min(config.ADMISSION_LIMIT_MIN, config.ADMISSION_LIMIT_MAX), max: config.ADMISSION_LIMIT_MAX, critical: options.criticalMethods ?? [] } }
      : {}),
  });
  options.register(server);
  if (options.monolith) {
    server.bindInProcess();
    return {
      grpcPort: 0,
      metricsPort: 0,
      async stop() {
        await server.drain();
        await options.close();
      },
    };
  }
  const grpcPort = await server.listen(config.GRPC_HOST, config.GRPC_PORT);
  const metrics = await startMetricsServer(registry, config.METRICS_PORT, config.GRPC_HOST);
  return {
    grpcPort,
    metricsPort: metrics.port,
    async stop() {
      await server.drain();
      await Promise.all([options.close(), metrics.close()]);
    },
  };
}
