import path from 'node:path';
import { parseArgs } from 'node:util';

export interface RunnerOptions {
  port: number;
  /** The public gRPC API's port (0: a free one). */
  grpcPort: number;
  dataDir: string;
  fresh: boolean;
  replicaDelayMs: number;
  redisCluster: boolean;
  /** Bind everything on this host. */
  host: string;
  /** Run the production bundles from `npm run build` instead of the sources under tsx. */
  bundles: boolean;
  /** Every service and the edge in one process (monolith mode) instead of a process each. */
  monolith: boolean;
  /** Run a Prometheus (the `prometheus` binary) scraping every process, as the chart's monitors would. */
  monitoring: boolean;
}

const HELP = `npm start -- [options]      (every option also reads an environment variable)

  --port N               edge port (TESSERA_PORT, default 8080)
  --grpc-port N          public gRPC API port (TESSERA_GRPC_PORT, default 50050; 0 picks a free one)
  --data-dir DIR         data folder (TESSERA_DATA_DIR, default .tessera)
  --fresh                wipe the data folder first (TESSERA_FRESH=1)
  --replica-delay-ms N   make Postgres replicas apply WAL N ms late, to see read-your-writes at work
                         (TESSERA_REPLICA_DELAY_MS, default 0)
  --redis-cluster        run a 3-master Redis Cluster instead of one node (TESSERA_REDIS_CLUSTER=1)
  --bundles              run the production bundles from \`npm run build\` (plain node, as in the image)
                         instead of the sources under tsx (TESSERA_BUNDLES=1)
  --monolith             every service and the edge in one process, calling each other in-process
                         (TESSERA_MONOLITH=1); see "Monolith or microservices?" in the README
  --monitoring           also run Prometheus (needs the prometheus binary: apt-get install prometheus)
                         scraping every process with the labels the chart's monitors add, so the
                         chart's dashboard queries work against it (TESSERA_MONITORING=1)
  -h, --help             this text
`;

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): RunnerOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      'grpc-port': { type: 'string' },
      'data-dir': { type: 'string' },
      fresh: { type: 'boolean' },
      'replica-delay-ms': { type: 'string' },
      'redis-cluster': { type: 'boolean' },
      bundles: { type: 'boolean' },
      monolith: { type: 'boolean' },
      monitoring: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const port = Number(values.port ?? env.TESSERA_PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number (got ${values.port ?? env.TESSERA_PORT})`);
  const grpcPort = Number(values['grpc-port'] ?? env.TESSERA_GRPC_PORT ?? (port === 0 ? 0 : 50050));
  if (!Number.isInteger(grpcPort) || grpcPort < 0 || grpcPort > 65535) throw new Error(`--grpc-port must be a port number (got ${values['grpc-port'] ?? env.TESSERA_GRPC_PORT})`);
  const delay = Number(values['replica-delay-ms'] ?? env.TESSERA_REPLICA_DELAY_MS ?? 0);
  if (!Number.isInteger(delay) || delay < 0) throw new Error('--replica-delay-ms must be a whole number of milliseconds');
  return {
    port,
    grpcPort,
    dataDir: path.resolve(values['data-dir'] ?? env.TESSERA_DATA_DIR ?? '.tessera'),
    fresh: values.fresh ?? env.TESSERA_FRESH === '1',
    replicaDelayMs: delay,
    redisCluster: values['redis-cluster'] ?? env.TESSERA_REDIS_CLUSTER === '1',
    host: '127.0.0.1',
    bundles: values.bundles ?? env.TESSERA_BUNDLES === '1',
    monolith: values.monolith ?? env.TESSERA_MONOLITH === '1',
    monitoring: values.monitoring ?? env.TESSERA_MONITORING === '1',
  };
}
