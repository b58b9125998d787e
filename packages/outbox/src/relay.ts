import { createHash } from 'node:crypto';
import type { Sql } from 'postgres';
import { Counter, Gauge, type Registry } from 'prom-client';
import { isConnectionError, type ClusterDb } from '@tessera/data';
import type { Logger } from '@tessera/logging';
import { fullJitterBackoff, PollLoop } from '@tessera/workers';

export interface OutboxEvent {
  /** `<producer>:<outbox id>`: unique across producers, the consumers' dedup key. */
  id: string;
  type: string;
  aggregateId: string;
  userId: string;
  payload: Record<string, unknown>;
  occurredAt: Date;
}

export interface RelayOptions {
  producer: string;
  cluster: ClusterDb;
  /** Delivers a batch to every subscriber; throws if any did not take it (the batch is retried). */
  deliver: (events: OutboxEvent[]) => Promise<void>;
  logger: Logger;
  registry: Registry;
  pollMs?: number;
  batchSize?: number;
  maxBackoffMs?: number;
  /** Commits that poke within this window share one round (default 10 ms). */
  pokeDelayMs?: number;
}

interface Row {
  id: string;
  type: string;
  aggregate_id: string;
  user_id: string;
  payload: Record<string, unknown>;
  created_at: Date;
  attempts: number;
}

const metricsByRegistry = new WeakMap<Registry, { delivered: Counter<'producer' | 'cluster'>; failures: Counter<'producer' | 'cluster'>; backlog: Gauge<'producer' | 'cluster'>; age: Gauge<'producer' | 'cluster'>; leader: Gauge<'producer' | 'cluster'> }>();

function relayMetrics(registry: Registry) {
  let m = metricsByRegistry.get(registry);
  if (!m) {
    const registers = [registry];
    const labelNames = ['producer', 'cluster'] as const;
    m = {
      delivered: new Counter({ name: 'outbox_delivered_total', help: 'Events delivered to every subscriber.', labelNames, registers }),
      failures: new Counter({ name: 'outbox_delivery_failures_total', help: 'Failed delivery attempts (retried with backoff).', labelNames, registers }),
      backlog: new Gauge({ name: 'outbox_backlog', help: 'Events not yet delivered.', labelNames, registers }),
      age: new Gauge({ name: 'outbox_oldest_age_seconds', help: 'Age of the oldest undelivered event.', labelNames, registers }),
      leader: new Gauge({ name: 'outbox_relay_leader', help: '1 while this process relays the cluster.', labelNames, registers }),
    };
    metricsByRegistry.set(registry, m);
  }
  return m;
}

/** The leader's connection was replaced under it (the lock went with the old one). */
class LostSessionError extends Error {}

/**
 * Relays one cluster's outbox, at least once, in order per aggregate. Every
 * replica of a service runs one per cluster; a session advisory lock makes
 * exactly one of them the leader, and a leader that dies releases it with its
 * connection. Only the oldest undelivered event of each aggregate is eligible,
 * so a failing event holds back its successors instead of being overtaken.
 */
export class OutboxRelay {
  private readonly loop: PollLoop;
  /** This relay's own session to the primary (see ClusterDb.session), and its backend pid while it holds the lock. */
  private session: Sql | undefined;
  private leaderPid: number | undefined;
  private readonly lockKey: string;
  private readonly labels: { producer: string; cluster: string };
  private readonly metrics: ReturnType<typeof relayMetrics>;

  constructor(private readonly o: RelayOptions) {
    this.lockKey = BigInt.asIntN(64, BigInt(`0x${createHash('sha256').update(`tessera:outbox:${o.producer}`).digest('hex').slice(0, 16)}`)).toString();
    this.labels = { producer: o.producer, cluster: o.cluster.name };
    this.metrics = relayMetrics(o.registry);
    const pollMs = o.pollMs ?? 200;
    this.loop = new PollLoop(
      async () => (await this.ensureLeader()) && this.round(),
      // Followers only check for leadership now and then.
      () => (this.leaderPid !== undefined ? pollMs : pollMs * 5),
      async (error) => {
        this.o.logger.warn({ err: error, cluster: this.o.cluster.name }, 'outbox relay round failed');
        await this.stepDown(isConnectionError(error) || error instanceof LostSessionError);
      },
      o.pokeDelayMs ?? 10,
    );
  }

  start(): void {
    this.loop.start();
  }

  /** Ask for a round now (after a commit that enqueued events), instead of at the next poll. */
  poke(): void {
    this.loop.poke();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.stepDown();
    await this.endSession();
  }

  private async ensureLeader(): Promise<boolean> {
    if (this.leaderPid !== undefined) return true;
    this.session ??= this.o.cluster.session();
    const [row] = await this.session<{ locked: boolean; pid: number }[]>`select pg_try_advisory_lock(${this.lockKey}::bigint) as locked, pg_backend_pid() as pid`;
    if (!row?.locked) return false;
    this.leaderPid = row.pid;
    this.metrics.leader.set(this.labels, 1);
    this.o.logger.info({ cluster: this.o.cluster.name }, 'outbox relay is leader');
    return true;
  }

  private async endSession(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.end({ timeout: 0 }).catch(() => undefined);
  }

  /**
   * Gives up leadership. When the session failed, the lock went with it and
   * the session is ended and replaced, never written to again.
   */
  private async stepDown(sessionFailed = false): Promise<void> {
    const wasLeader = this.leaderPid !== undefined;
    this.leaderPid = undefined;
    this.metrics.leader.set(this.labels, 0);
    // Only the leader reports the backlog; a former leader's last numbers would go on being summed beside the new one's.
    this.metrics.backlog.remove(this.labels);
    this.metrics.age.remove(this.labels);
    if (sessionFailed) return this.endSession();
    if (!wasLeader || !this.session) return;
    await this.session`select pg_advisory_unlock(${this.lockKey}::bigint)`.catch(() => this.endSession());
  }

  /** One batch; true when there may be more waiting. */
  private async round(): Promise<boolean> {
    const sql = this.session!;
    const batchSize = this.o.batchSize ?? 100;
    // The due heads and the backlog in one round trip: a stats row always comes back, with the events (if any) beside it.
    const result = await sql<(Row & { backlog: number; age: number | null; pid: number })[]>`
      with pending as (select * from outbox where delivered_at is null),
      stats as (select count(*)::int as backlog, extract(epoch from now() - min(created_at))::float8 as age, pg_backend_pid() as pid from pending)
      select h.*, s.backlog, s.age, s.pid from stats s
      left join lateral (
        select id::text, type, aggregate_id, user_id, payload, created_at, attempts from (
          select distinct on (aggregate_id) * from pending order by aggregate_id, id
        ) head
        where next_attempt_at <= now()
        order by id limit ${batchSize}
      ) h on true`;
    // A dropped connection the client silently replaced has lost the lock: this relay is no longer the leader.
    if (result[0]?.pid !== this.leaderPid) throw new LostSessionError('the leader session was replaced; its lock is gone');
    this.metrics.backlog.set(this.labels, result[0]?.backlog ?? 0);
    this.metrics.age.set(this.labels, result[0]?.age ?? 0);
    const rows = result.filter((r) => r.id !== null);
    if (rows.length === 0) return false;
    const events = rows.map((r) => ({ id: `${this.o.producer}:${r.id}`, type: r.type, aggregateId: r.aggregate_id, userId: r.user_id, payload: r.payload, occurredAt: r.created_at }));
    try {
      await this.o.deliver(events);
    } catch (error) {
      this.metrics.failures.inc(this.labels, rows.length);
      const message = String((error as Error).message ?? error).slice(0, 500);
      for (const row of rows) {
        const delay = fullJitterBackoff(row.attempts, { baseMs: 100, maxMs: this.o.maxBackoffMs ?? 60_000 });
        await sql`update outbox set attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => ${delay / 1000}), last_error = ${message} where id = ${row.id}`;
      }
      this.o.logger.warn({ err: error, events: rows.length, cluster: this.o.cluster.name }, 'outbox delivery failed; will retry');
      return false;
    }
    await sql`update outbox set delivered_at = now() where id = any(${sql.array(rows.map((r) => r.id))}::bigint[])`;
    this.metrics.delivered.inc(this.labels, rows.length);
    return rows.length === batchSize;
  }
}
