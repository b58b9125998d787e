import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { sharedRedisUrl, testDatabase, type TestDatabase } from '@tessera/testing';

const run = promisify(execFile);

describe('cache stampede across processes', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await testDatabase('stampede');
    const sql = postgres(db.primaryUrl, { max: 1 });
    await sql`create table loads (id serial primary key, pid int not null)`;
    await sql.end();
  });

  afterAll(() => db.drop());

  test('when 3 processes each make 500 concurrent lookups of one uncached key, then the database sees at most 3 loads, and one lease winner', async () => {
    const env = { ...process.env, DATABASE_URL: db.primaryUrl, REDIS_URL: sharedRedisUrl(), NAMESPACE: `stampede-${Date.now()}`, KEY: 'product:42', START_AT: String(Date.now() + 3_000) };
    const fixture = path.join(__dirname, 'fixtures', 'hot-key-process.ts');
    const outputs = await Promise.all([1, 2, 3].map(() => run(process.execPath, ['--import', 'tsx', fixture], { env, cwd: path.resolve(__dirname, '../../..'), timeout: 20_000 })));
    const reports = outputs.map((o) => JSON.parse(o.stdout.trim()) as { ok: boolean; loads: Record<string, number> });

    expect(reports.every((r) => r.ok)).toBe(true);
    const sql = postgres(db.primaryUrl, { max: 1 });
    const [row] = await sql`select count(*)::int as n from loads`;
    await sql.end();
    expect(row!.n).toBeLessThanOrEqual(3);
    // Exactly one process won the lease and loaded; the others waited for its value.
    expect(reports.reduce((sum, r) => sum + (r.loads.miss ?? 0), 0)).toBe(1);
    expect(row!.n).toBe(reports.reduce((sum, r) => sum + Object.values(r.loads).reduce((a, b) => a + b, 0), 0));
  });
});
