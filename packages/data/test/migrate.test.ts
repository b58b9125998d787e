import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { migrate, migrateClusters, ShardMap } from '@tessera/data';
import { freePort, startPostgresCluster } from '@tessera/local-infra';
import { scratchDir, testDatabase, type TestDatabase } from '@tessera/testing';

describe('migrate', () => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await testDatabase('migrate');
    dir = mkdtempSync(path.join(tmpdir(), 'migrations-'));
    writeFileSync(path.join(dir, '001_accounts.sql'), 'create table accounts (id bigint primary key);');
    writeFileSync(path.join(dir, '002_accounts_email.sql'), 'alter table accounts add column email text;');
    writeFileSync(path.join(dir, 'README.md'), 'not a migration');
  });

  afterAll(() => db.drop());

  test('when two processes migrate at once and then once more, then each migration is applied exactly once', async () => {
    const a = postgres(db.primaryUrl, { max: 1, onnotice: () => undefined });
    const b = postgres(db.primaryUrl, { max: 1, onnotice: () => undefined });
    try {
      const [first, second] = await Promise.all([migrate(a, dir), migrate(b, dir)]);
      expect([first.applied, second.applied].sort((x, y) => y.length - x.length)).toEqual([['001_accounts.sql', '002_accounts_email.sql'], []]);
      expect(await migrate(a, dir)).toEqual({ applied: [], skipped: ['001_accounts.sql', '002_accounts_email.sql'] });
      const rows = await a`select name from schema_migrations order by name`;
      expect(rows.map((r) => r.name)).toEqual(['001_accounts.sql', '002_accounts_email.sql']);
      const columns = await a`select column_name from information_schema.columns where table_name = 'accounts' order by column_name`;
      expect(columns.map((c) => c.column_name)).toEqual(['email', 'id']);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  test('when an applied migration file is edited, then migrate refuses instead of skipping it', async () => {
    const sql = postgres(db.primaryUrl, { max: 1, onnotice: () => undefined });
    try {
      writeFileSync(path.join(dir, '001_accounts.sql'), 'create table accounts (id bigint primary key, extra int);');
      await expect(migrate(sql, dir)).rejects.toThrow(/001_accounts.sql changed after it was applied/);
    } finally {
      await sql.end();
    }
  });
});

describe('migrateClusters, run before its database is up (an init container)', () => {
  test('when the database starts seconds after migrate does, then migrate waits for it and applies; a broken migration fails at once', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'migrations-wait-'));
    writeFileSync(path.join(dir, '001_things.sql'), 'create table things (id bigint primary key);');
    const port = await freePort();
    const dataDir = path.join(scratchDir('migrate-wait'), 'pg');
    mkdirSync(dataDir, { recursive: true });
    // The cluster's credentials, fixed before it exists (as a CNPG secret is).
    writeFileSync(path.join(dataDir, 'credentials.json'), JSON.stringify({ user: 'postgres', password: 'a-waiting-password', layout: 1 }));
    const clusters = [{ name: 'late', primary: `postgres://postgres:a-waiting-password@127.0.0.1:${port}/postgres`, replicas: [] }];
    const waits: string[] = [];
    const migrating = migrateClusters({ clusters, shardMap: ShardMap.single('late'), waitForDatabaseMs: 60_000 }, dir, [], { warn: (_d, message) => waits.push(message) });
    await new Promise((r) => setTimeout(r, 1_500));
    const pg = await startPostgresCluster({ dataDir, replicas: 0, ports: { primary: port }, durable: false });
    try {
      expect((await migrating).late!.applied).toEqual(['001_things.sql']);
      expect(waits.length).toBeGreaterThan(0);

      writeFileSync(path.join(dir, '002_broken.sql'), 'create tabel oops ();');
      const started = Date.now();
      await expect(migrateClusters({ clusters, shardMap: ShardMap.single('late'), waitForDatabaseMs: 60_000 }, dir)).rejects.toThrow(/syntax error/);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await pg.stop();
    }
  }, 90_000);
});
