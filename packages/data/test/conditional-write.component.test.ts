import postgres from 'postgres';
import { writtenOrCurrent } from '@tessera/data';
import { commitWhileWaiting, testDatabase, type TestDatabase } from '@tessera/testing';

type Row = { id: number; status: string };

describe('a conditional write that waits for a concurrent transaction (READ COMMITTED, real Postgres)', () => {
  let db: TestDatabase;
  let sql: postgres.Sql;
  let other: postgres.Sql;

  beforeAll(async () => {
    db = await testDatabase('conditional_write');
    sql = postgres(db.primaryUrl, { max: 1, onnotice: () => undefined });
    other = postgres(db.primaryUrl, { max: 2, onnotice: () => undefined });
    await sql`create table t (id int primary key, status text not null)`;
  });

  afterAll(async () => {
    await Promise.all([sql.end(), other.end()]);
    await db.drop();
  });

  const whileAnotherCommits = <T>(change: (tx: postgres.TransactionSql) => Promise<unknown>, write: () => Promise<T>) => commitWhileWaiting(other, change, write);

  const current = (id: number) => () => sql<Row[]>`select id, status from t where id = ${id}`;

  test('when an update from "paid" waits for another that moved the row to "cancelled", then it answers "cancelled", not written; one statement with a fallback select answered the stale "paid"', async () => {
    await sql`insert into t values (1, 'paid'), (2, 'paid')`;
    const answer = await whileAnotherCommits(
      (tx) => tx`update t set status = 'cancelled' where id = 1`,
      () => writtenOrCurrent(sql<Row[]>`update t set status = 'cancelled' where id = 1 and status = 'paid' returning id, status`, current(1)),
    );
    expect(answer).toEqual({ row: { id: 1, status: 'cancelled' }, written: false });

    // Why the helper exists: the same move as one statement reads the snapshot from before the wait.
    const stale = await whileAnotherCommits(
      (tx) => tx`update t set status = 'cancelled' where id = 2`,
      () => sql<Row[]>`
        with moved as (update t set status = 'cancelled' where id = 2 and status = 'paid' returning id, status)
        select id, status from moved union all select id, status from t where id = 2 and not exists (select 1 from moved)`.then((rows) => rows),
    );
    expect(stale).toEqual([{ id: 2, status: 'paid' }]);
  });

  test('when an insert … on conflict do nothing waits for another that inserted the same key, then it answers that row, not written; one statement with a fallback select answered nothing', async () => {
    const answer = await whileAnotherCommits(
      (tx) => tx`insert into t values (3, 'theirs')`,
      () => writtenOrCurrent(sql<Row[]>`insert into t values (3, 'mine') on conflict (id) do nothing returning id, status`, current(3)),
    );
    expect(answer).toEqual({ row: { id: 3, status: 'theirs' }, written: false });

    const none = await whileAnotherCommits(
      (tx) => tx`insert into t values (4, 'theirs')`,
      () => sql<Row[]>`
        with inserted as (insert into t values (4, 'mine') on conflict (id) do nothing returning id, status)
        select id, status from inserted union all select id, status from t where id = 4 and not exists (select 1 from inserted)`.then((rows) => rows),
    );
    expect(none).toEqual([]);
  });

  test('when nothing stands in the way, then the written row; when the row is gone, then undefined', async () => {
    expect(await writtenOrCurrent(sql<Row[]>`insert into t values (5, 'new') on conflict (id) do nothing returning id, status`, current(5))).toEqual({ row: { id: 5, status: 'new' }, written: true });
    expect(await writtenOrCurrent(sql<Row[]>`update t set status = 'x' where id = 6 returning id, status`, current(6))).toBeUndefined();
  });
});
