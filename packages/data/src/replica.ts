import postgres, { type Sql } from 'postgres';
import { parseLsn } from './consistency';
import type { DataMetrics } from './data-metrics';
import { reconnectBackoff, withTimeout } from './db-errors';

export interface ReplicaOptions {
  cluster: string;
  name: string;
  url: string;
  poolMax: number;
  connectTimeoutS: number;
  prepare: boolean;
  /** Health checks this often. */
  checkIntervalMs: number;
  /** A check slower than this marks the replica down (a paused server holds the connection open and never answers). */
  checkTimeoutMs: number;
  /** Replicas further behind than this serve no token-less reads. */
  maxLagSeconds: number;
  metrics: DataMetrics;
}

/**
 * One streaming replica: its pool, and what we last learned of its health and
 * replay position. A background check keeps that current; failed reads mark
 * it down at once; the next good check brings it back.
 */
export class Replica {
  readonly sql: Sql;
  private readonly probe: Sql;
  private up = false;
  private lagSeconds = Number.POSITIVE_INFINITY;
  private replayLsn = -1n;
  private checking: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: ReplicaOptions) {
    const common = { connect_timeout: o.connectTimeoutS, prepare: o.prepare, onnotice: () => undefined, idle_timeout: 60, backoff: reconnectBackoff };
    this.sql = postgres(o.url, { ...common, max: o.poolMax });
    // Its own connection, so health checks never queue behind application queries.
    this.probe = postgres(o.url, { ...common, max: 1 });
  }

  get name(): string {
    return this.o.name;
  }

  start(): Promise<void> {
    this.timer = setInterval(() => void this.check(), this.o.checkIntervalMs);
    this.timer.unref();
    return this.check();
  }

  /** Usable for reads that carry no token: answering, and not too far behind. */
  isFresh(): boolean {
    return this.up && this.lagSeconds <= this.o.maxLagSeconds;
  }

  isUp(): boolean {
    return this.up;
  }

  /** Whether the replica has replayed `lsn`, asking it when the last known position is behind. */
  async hasReplayed(lsn: bigint, timeoutMs: number): Promise<boolean> {
    if (this.replayLsn >= lsn) return true;
    const [row] = await withTimeout(this.sql<{ lsn: string | null }[]>`select pg_last_wal_replay_lsn()::text as lsn`, timeoutMs, `replica ${this.o.name}`);
    if (row?.lsn) this.replayLsn = parseLsn(row.lsn);
    return this.replayLsn >= lsn;
  }

  markDown(): void {
    this.up = false;
    this.o.metrics.replicaUp.set({ cluster: this.o.cluster, replica: this.o.name }, 0);
  }

  private check(): Promise<void> {
    // One check at a time: against a paused server the previous one may still be hanging.
    this.checking ??= (async () => {
      const labels = { cluster: this.o.cluster, replica: this.o.name };
      try {
        const [row] = await withTimeout(
          this.probe<{ lsn: string | null; lag: number | null }[]>`
            select pg_last_wal_replay_lsn()::text as lsn,
                   case when pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() then 0
                        else extract(epoch from now() - pg_last_xact_replay_timestamp())::float8 end as lag`,
          this.o.checkTimeoutMs,
          `replica ${this.o.name} health check`,
        );
        if (!row?.lsn) throw new Error('not a replica (no replay position)');
        this.replayLsn = parseLsn(row.lsn);
        this.lagSeconds = Math.max(0, row.lag ?? 0);
        this.up = true;
        this.o.metrics.replicaLag.set(labels, this.lagSeconds);
        this.o.metrics.replicaUp.set(labels, this.isFresh() ? 1 : 0);
      } catch {
        this.markDown();
      }
    })().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  async end(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([this.sql.end({ timeout: 2 }), this.probe.end({ timeout: 2 })]);
  }
}
