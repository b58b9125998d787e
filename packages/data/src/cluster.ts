import { traced } from '@tessera/tracing';
import postgres, { type Sql, type TransactionSql } from 'postgres';
import { AppError, Code } from '@tessera/errors';
import { formatToken, parseLsn, type ConsistencyToken } from './consistency';
import type { DataMetrics } from './data-metrics';
import { DbTimeoutError, isConnectionError, isRefusedBeforeSending, isSchemaBehind, reconnectBackoff, toAppError, withTimeout } from './db-errors';
import { Replica } from './replica';
import type { ClusterConfig } from './shard-map';

export interface PoolOptions {
  /** Connections per node (primary, and each replica). */
  poolMax: number;
  connectTimeoutS: number;
  /** Off behind PgBouncer in transaction mode (CNPG Pooler), which cannot keep prepared statements. */
  prepare: boolean;
  /** Upper bound for one unit of work when the caller has no deadline. */
  queryTimeoutMs: number;
  /** A replica read slower than this is abandoned and re-run on the primary. */
  replicaTimeoutMs: number;
  maxLagSeconds: number;
  checkIntervalMs: number;
  checkTimeoutMs: number;
  /** Attempts for reads (idempotent) and for writes refused before anything was sent. */
  maxAttempts: number;
}

export const DEFAULT_POOL_OPTIONS: PoolOptions = {
  poolMax: 10,
  connectTimeoutS: 3,
  prepare: true,
  queryTimeoutMs: 10_000,
  replicaTimeoutMs: 1_000,
  maxLagSeconds: 5,
  checkIntervalMs: 500,
  checkTimeoutMs: 500,
  maxAttempts: 3,
};

export interface ReadOptions {
  /** Tokens from earlier writes: a replica must have replayed the one for this cluster. */
  tokens?: readonly ConsistencyToken[];
  /**
   * 'primary' for reads that must see everything (e.g. just before a write
   * decision); 'primary-preferred' for reads that should (a cache fill) but
   * may be answered by an up replica while the primary is unreachable, since
   * a slightly stale answer beats none when no writes are landing anyway.
   */
  consistency?: 'replica' | 'primary' | 'primary-preferred';
  /** Absolute deadline (epoch ms), e.g. the gRPC call's. */
  deadline?: number;
}

export interface WriteOptions {
  deadline?: number;
  /** The unit of work is safe to run twice: retry it on connection errors too, not only when refused. */
  idempotent?: boolean;
  /**
   * false for internal writes that no caller will read back through a replica
   * (bookkeeping, event consumption): no consistency token, one round trip
   * less. The result's token is then ''.
   */
  token?: boolean;
}

export interface WriteResult<T> {
  value: T;
  /** Read-your-writes token for this write's commit. */
  token: string;
}

export interface ReadResult<T> {
  value: T;
  /** 'primary' or the replica's name. */
  servedBy: string;
}

/**
 * One physical cluster: a primary pool and a pool per streaming replica.
 * Writes go to the primary and return a consistency token; reads go to a
 * fresh, answering replica, honouring tokens, and fall back to the primary.
 */
export class ClusterDb {
  readonly primary: Sql;
  readonly replicas: Replica[];
  private nextReplica = 0;

  constructor(
    readonly config: ClusterConfig,
    private readonly options: PoolOptions,
    private readonly metrics: DataMetrics,
  ) {
    this.primary = postgres(config.primary, { max: options.poolMax, connect_timeout: options.connectTimeoutS, prepare: options.prepare, onnotice: () => undefined, idle_timeout: 60, backoff: reconnectBackoff });
    this.replicas = config.replicas.map(
      (url, i) => new Replica({ cluster: config.name, name: `${config.name}-replica-${i + 1}`, url, poolMax: options.poolMax, connectTimeoutS: options.connectTimeoutS, prepare: options.prepare, checkIntervalMs: options.checkIntervalMs, checkTimeoutMs: options.checkTimeoutMs, maxLagSeconds: options.maxLagSeconds, metrics }),
    );
    metrics.poolMax.set({ cluster: config.name, role: 'primary' }, options.poolMax);
    if (this.replicas.length > 0) metrics.poolMax.set({ cluster: config.name, role: 'replica' }, options.poolMax);
  }

  get name(): string {
    return this.config.name;
  }

  /**
   * A client of its own holding one connection to the primary, for work tied
   * to a session (advisory locks). The caller ends it, and replaces it after
   * a connection error rather than writing to it again. Not `reserve()`:
   * postgres.js 3.4.9 throws an uncatchable TypeError when a reserved
   * connection whose socket closed is written to (porsager/postgres#1208).
   */
  session(): Sql {
    return postgres(this.config.primary, { max: 1, connect_timeout: this.options.connectTimeoutS, prepare: this.options.prepare, onnotice: () => undefined, idle_timeout: 0, backoff: reconnectBackoff });
  }

  /** Runs the first health checks, so the first reads already know which replicas answer. */
  async start(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.start()));
  }

  /** Runs `fn` in a transaction on the primary and returns its value with a token for the commit. */
  async write<T>(fn: (tx: TransactionSql) => Promise<T>, options: WriteOptions = {}): Promise<WriteResult<T>> {
    const value = await this.onPrimary('write', options, options.idempotent ?? false, (sql) => sql.begin((tx) => fn(tx)) as Promise<T>);
    return { value, token: options.token === false ? '' : formatToken({ cluster: this.name, lsn: await this.commitLsn() }) };
  }

  /**
   * One SQL statement on the primary, atomic on its own (data-modifying CTEs
   * included): no BEGIN and COMMIT round trips. For writes that fit one statement.
   */
  async writeStatement<T>(fn: (sql: Sql) => Promise<T>, options: WriteOptions = {}): Promise<WriteResult<T>> {
    const value = await this.onPrimary('write', options, options.idempotent ?? false, fn);
    return { value, token: options.token === false ? '' : formatToken({ cluster: this.name, lsn: await this.commitLsn() }) };
  }

  /**
   * After commit, the current WAL position is at or past the commit record. If
   * asking fails, the write still stands: the token then names an LSN no replica
   * reaches, so reads that carry it go to the primary.
   */
  private async commitLsn(): Promise<bigint> {
    try {
      const [row] = await withTimeout(this.primary<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`, this.options.replicaTimeoutMs, 'commit lsn');
      return parseLsn(row!.lsn);
    } catch {
      return 0xffffffffffffffffn;
    }
  }

  async read<T>(fn: (sql: Sql) => Promise<T>, options: ReadOptions = {}): Promise<T> {
    return (await this.readWithInfo(fn, options)).value;
  }

  async readWithInfo<T>(fn: (sql: Sql) => Promise<T>, options: ReadOptions = {}): Promise<ReadResult<T>> {
    if (options.consistency === 'primary' || this.replicas.length === 0) {
      return { value: await this.onPrimary('read', options, true, fn), servedBy: 'primary' };
    }
    if (options.consistency === 'primary-preferred') {
      try {
        return { value: await this.onPrimary('read', options, true, fn), servedBy: 'primary' };
      } catch (error) {
        const [replica] = this.candidates(true);
        if (!(error instanceof AppError && error.code === Code.UNAVAILABLE) || !replica) throw error;
        this.metrics.fallbacks.inc({ cluster: this.name, reason: 'primary_down' });
        const value = await this.onReplica(replica, fn, this.replicaBudget(options)).catch((e: unknown) => {
          throw toAppError(e, 'the database');
        });
        return { value, servedBy: replica.name };
      }
    }
    const token = options.tokens?.find((t) => t.cluster === this.name);
    const candidates = this.candidates(token !== undefined);
    let reason = candidates.length === 0 ? 'no_fresh_replica' : 'replica_behind';
    for (const replica of candidates) {
      const budget = this.replicaBudget(options);
      try {
        if (token && !(await replica.hasReplayed(token.lsn, budget))) continue;
        return { value: await this.onReplica(replica, fn, budget), servedBy: replica.name };
      } catch (error) {
        if (isSchemaBehind(error)) {
          // A migration the replica has not replayed yet (a table or column it does not know): the primary has it.
          reason = 'replica_schema_behind';
          continue;
        }
        if (!isConnectionError(error)) throw toAppError(error, 'the database');
        replica.markDown();
        reason = error instanceof DbTimeoutError ? 'replica_timeout' : 'replica_error';
      }
    }
    this.metrics.fallbacks.inc({ cluster: this.name, reason });
    return { value: await this.onPrimary('read', options, true, fn), servedBy: 'primary' };
  }

  private replicaBudget(options: { deadline?: number }): number {
    return Math.min(this.options.replicaTimeoutMs, remaining(options.deadline, this.options.queryTimeoutMs));
  }

  private onReplica<T>(replica: Replica, fn: (sql: Sql) => Promise<T>, budget: number): Promise<T> {
    return this.timed('replica', 'read', () => withTimeout(fn(replica.sql), budget, `replica ${replica.name}`));
  }

  /** Fresh replicas first (round robin); for token reads any answering replica may do, since the token check proves freshness. */
  private candidates(hasToken: boolean): Replica[] {
    const usable = this.replicas.filter((r) => (hasToken ? r.isUp() : r.isFresh()));
    if (usable.length <= 1) return usable;
    const start = this.nextReplica++ % usable.length;
    return [...usable.slice(start), ...usable.slice(0, start)];
  }

  private async onPrimary<T>(kind: 'read' | 'write', options: { deadline?: number }, retryable: boolean, fn: (sql: Sql) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const budget = remaining(options.deadline, this.options.queryTimeoutMs);
      try {
        return await this.timed('primary', kind, () => withTimeout(fn(this.primary), budget, `primary of ${this.name}`));
      } catch (error) {
        const canRetry = attempt < this.options.maxAttempts && (retryable ? isConnectionError(error) && !(error instanceof DbTimeoutError) : isRefusedBeforeSending(error));
        const backoff = 50 * 2 ** (attempt - 1);
        if (canRetry && remaining(options.deadline, Infinity) > backoff + 50) {
          await new Promise((r) => setTimeout(r, backoff));
          continue;
        }
        if (error instanceof DbTimeoutError) {
          // A write that timed out may still commit: say "unknown outcome", which callers do not retry blindly.
          throw new AppError(kind === 'write' ? Code.DEADLINE_EXCEEDED : Code.UNAVAILABLE, kind === 'write' ? 'the database did not confirm the write in time' : 'the database did not answer in time', [], { cause: error });
        }
        throw toAppError(error, 'the database');
      }
    }
  }

  private async timed<T>(role: 'primary' | 'replica', kind: 'read' | 'write', work: () => Promise<T>): Promise<T> {
    const labels = { cluster: this.name, role };
    const end = this.metrics.queryDuration.startTimer({ ...labels, kind });
    this.metrics.inUse.inc(labels);
    try {
      return await traced(`SQL ${kind}`, { 'db.system.name': 'postgresql', 'db.namespace': this.name, 'tessera.db.role': role }, work);
    } catch (error) {
      const reason = error instanceof DbTimeoutError ? 'timeout' : isConnectionError(error) ? 'connection' : 'query';
      this.metrics.queryErrors.inc({ ...labels, kind, reason });
      throw error;
    } finally {
      this.metrics.inUse.dec(labels);
      end();
    }
  }

  async end(): Promise<void> {
    await Promise.all([this.primary.end({ timeout: 2 }), ...this.replicas.map((r) => r.end())]);
  }
}

function remaining(deadline: number | undefined, cap: number): number {
  return deadline === undefined || !Number.isFinite(deadline) ? cap : Math.min(cap, deadline - Date.now());
}
