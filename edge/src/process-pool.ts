import cluster from 'node:cluster';

/**
 * Runs `count` edge processes that share one listening port (node:cluster),
 * so one machine's cores all serve HTTP: the edge is CPU-bound on its event
 * loop, the services are not. A process that dies is replaced; SIGTERM and
 * SIGINT are passed on, each process drains as it would alone, and the pool
 * exits when the last one has. With 1 (the default, and what Kubernetes
 * wants: there, pods are the unit of scale) the edge runs as it is.
 */
export function runProcessPool(count: number, runOne: () => void, log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): void {
  if (count <= 1 || !cluster.isPrimary) {
    runOne();
    return;
  }
  let stopping = false;
  for (let i = 0; i < count; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    log(`edge process ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another`);
    setTimeout(() => !stopping && cluster.fork(), 500).unref();
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
