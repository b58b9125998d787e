import postgres from 'postgres';
import { testDatabase, type TestDatabase } from '@tessera/testing';

describe('postgres primary with a streaming replica', () => {
  let db: TestDatabase;
  let primary: postgres.Sql;
  let replica: postgres.Sql;

  beforeAll(async () => {
    db = await testDatabase('replication');
    primary = postgres(db.primaryUrl, { max: 2 });
    replica = postgres(db.replicaUrl, { max: 2 });
  });

  afterAll(async () => {
    await Promise.all([primary.end(), replica.end()]);
    await db.drop();
  });

  test('when a row is written on the primary, then the replica serves it and is in recovery', async () => {
    await primary`create table notes (id int primary key, body text not null)`;
    await primary`insert into notes values (1, 'written on the primary')`;
    const [{ lsn }] = (await primary`select pg_current_wal_lsn()::text as lsn`) as unknown as [{ lsn: string }];

    // Streaming is asynchronous: wait for the replica to replay past the write's LSN.
    const deadline = Date.now() + 5_000;
    for (;;) {
      const [row] = await replica<{ caught_up: boolean }[]>`select pg_last_wal_replay_lsn() >= ${lsn}::pg_lsn as caught_up`;
      if (row?.caught_up) break;
      if (Date.now() > deadline) throw new Error('replica did not catch up within 5 s');
      await new Promise((r) => setTimeout(r, 20));
    }

    const rows = await replica`select body, pg_is_in_recovery() as in_recovery from notes where id = 1`;
    expect(rows).toEqual([{ body: 'written on the primary', in_recovery: true }]);
  });

  test('when a write is attempted on the replica, then it is refused as read-only', async () => {
    await expect(replica`create table nope (id int)`).rejects.toMatchObject({ code: '25006' });
  });

  test('when the primary is asked about its replicas, then one is streaming', async () => {
    const rows = await primary`select state from pg_stat_replication`;
    expect(rows.map((r) => r.state)).toEqual(['streaming']);
  });
});
