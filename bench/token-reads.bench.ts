import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseToken, ShardedDb, ShardMap, type ClusterDb, type ConsistencyToken } from '@tessera/data';
import { startPostgresCluster } from '@tessera/local-infra';
import { createRegistry } from '@tessera/metrics';

const N = Number(process.env.BENCH_N ?? 3000);

interface Row {
  mode: string;
  'p50 µs': number;
  'p99 µs': number;
  'mean µs': number;
  'vs baseline p50': string;
  'served by replica': string;
}

function summarize(mode: string, samples: number[], replicaShare: number, baselineP50?: number): Row {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  const p50 = at(0.5);
  return {
    mode,
    'p50 µs': p50,
    'p99 µs': at(0.99),
    'mean µs': Math.round(samples.reduce((a, b) => a + b, 0) / samples.length),
    'vs baseline p50': baselineP50 === undefined ? 'baseline' : `${p50 - baselineP50 >= 0 ? '+' : ''}${p50 - baselineP50} µs`,
    'served by replica': `${Math.round(replicaShare * 100)}%`,
  };
}

interface Mode {
  name: string;
  /** Untimed preparation before each read; returns the tokens the read carries. */
  before: () => Promise<ConsistencyToken[] | undefined>;
  samples: number[];
  onReplica: number;
}

/** Modes take turns read by read, so drift in machine load hits them all alike. */
async function measure(cluster: ClusterDb, modes: Mode[]): Promise<void> {
  for (let i = 0; i < N + 500; i++) {
    for (const mode of modes) {
      const tokens = await mode.before();
      const started = process.hrtime.bigint();
      const { servedBy } = await cluster.readWithInfo((sql) => sql`select id, body from notes where id = 1`, tokens ? { tokens } : {});
      const micros = Number(process.hrtime.bigint() - started) / 1e3;
      // The first 500 rounds warm up connections, prepared statements and the JIT.
      if (i >= 500) {
        mode.samples.push(micros);
        if (servedBy !== 'primary') mode.onReplica++;
      }
    }
  }
}

/** The read latency that read-your-writes tokens add, against plain replica reads. */
export async function tokenReadsBench(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-bench-'));
  chmodSync(dir, 0o755);
  const pg = await startPostgresCluster({ dataDir: dir, replicas: 1, durable: false });
  const db = await ShardedDb.connect({
    shardMap: ShardMap.single('bench'),
    clusters: [{ name: 'bench', primary: pg.primary.url(), replicas: pg.replicas.map((r) => r.url()) }],
    registry: createRegistry(),
    pool: { poolMax: 2 },
  });
  try {
    const cluster = db.cluster('bench');
    const { token } = await cluster.write(async (tx) => {
      await tx`create table notes (id int primary key, body text)`;
      await tx`insert into notes values (1, 'hello')`;
    });
    await new Promise((r) => setTimeout(r, 1_000));
    const old = [parseToken(token)!];

    const mode = (name: string, before: Mode['before']): Mode => ({ name, before, samples: [], onReplica: 0 });
    const modes = [
      mode('replica, no token', async () => undefined),
      mode('replica, token already replayed (known)', async () => old),
      // A fresh write before the read (not timed): the token is newer than the replica position we know, so the read asks the replica first.
      mode('token of the write just before (replica asked)', async () => [parseToken((await cluster.write((tx) => tx`update notes set body = 'hello' where id = 1`)).token)!]),
      mode('token no replica reaches (primary)', async () => [{ cluster: 'bench', lsn: 1n << 62n }]),
    ];
    await measure(cluster, modes);

    console.log(`${N} sequential reads per mode, modes interleaved, pools of 2 per node, loopback, ${pg.version}`);
    const base = summarize(modes[0]!.name, modes[0]!.samples, modes[0]!.onReplica / N);
    console.table([base, ...modes.slice(1).map((m) => summarize(m.name, m.samples, m.onReplica / N, base['p50 µs']))]);
  } finally {
    await db.end();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
