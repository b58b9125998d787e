import path from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRegistry } from '@tessera/metrics';
import { micros, olderThan, scatterGather, shardOfId, ShardedDb, ShardMap } from '@tessera/data';
import { startTestShards, type TestShards } from '@tessera/testing';

const migrations = mkdtempSync(path.join(tmpdir(), 'sharding-migrations-'));
writeFileSync(
  path.join(migrations, '001_people.sql'),
  `create table people (id bigint primary key, email text not null unique, created_at timestamptz not null default clock_timestamp());
   create table things (id bigint primary key, owner_id bigint not null, label text not null);`,
);

describe('sharding over two physical clusters, each with a streaming replica', () => {
  let shards: TestShards;
  let db: ShardedDb;
  const shardMap = ShardMap.even(['shard-a', 'shard-b']);

  beforeAll(async () => {
    shards = await startTestShards({ count: 2 });
    db = await ShardedDb.connect({ shardMap, clusters: shards.clusters, registry: createRegistry() });
  });

  afterAll(async () => {
    await db.end();
    await shards.stop();
  });

  test('when two processes migrate every shard at once, twice, then each shard has one row per migration and the id function', async () => {
    const other = await ShardedDb.connect({ shardMap, clusters: shards.clusters, registry: createRegistry() });
    try {
      await Promise.all([db.migrateAll(migrations), other.migrateAll(migrations)]);
      const again = await db.migrateAll(migrations);
      expect(again).toEqual({ 'shard-a': { applied: [], skipped: ['001_people.sql'] }, 'shard-b': { applied: [], skipped: ['001_people.sql'] } });
      for (const cluster of db.clusters) {
        const rows = await cluster.primary`select name from schema_migrations`;
        expect(rows.map((r) => r.name)).toEqual(['001_people.sql']);
        const [fn] = await cluster.primary`select tessera_next_id(5)::text as id`;
        expect(shardOfId(fn!.id as string)).toBe(5);
      }
    } finally {
      await other.end();
    }
  });

  test('when 10,000 users are created, then each physical shard holds 40-60% and every child row sits on its owner\'s shard', async () => {
    const emails = Array.from({ length: 10_000 }, (_, i) => `person${i}@example.com`);
    const byCluster = new Map<string, { shard: number; email: string }[]>();
    for (const email of emails) {
      const shard = shardMap.shardForKey(email);
      const cluster = shardMap.clusterOf(shard);
      byCluster.set(cluster, [...(byCluster.get(cluster) ?? []), { shard, email }]);
    }
    for (const [name, people] of byCluster) {
      await db.cluster(name).write((tx) =>
        tx`insert into people (id, email) select tessera_next_id(s), e from unnest(${tx.array(people.map((p) => p.shard))}::int[], ${tx.array(people.map((p) => p.email))}::text[]) as u(s, e)`,
      );
    }
    const counts = await Promise.all(db.clusters.map(async (c) => Number((await c.primary`select count(*)::int as n from people`)[0]!.n)));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(10_000);
    for (const n of counts) {
      expect(n / 10_000).toBeGreaterThanOrEqual(0.4);
      expect(n / 10_000).toBeLessThanOrEqual(0.6);
    }

    // Children are created through the owner: same cluster, and the child id embeds the owner's logical shard.
    const owners = (await Promise.all(db.clusters.map((c) => c.primary<{ id: string }[]>`select id::text from people order by random() limit 100`))).flat();
    for (const owner of owners) {
      const shard = shardOfId(owner.id);
      await db.forUser(owner.id).write((tx) => tx`insert into things (id, owner_id, label) values (tessera_next_id(${shard}), ${owner.id}, 'thing')`);
    }
    for (const cluster of db.clusters) {
      const things = await cluster.primary<{ id: string; owner_id: string; owner_here: boolean }[]>`
        select t.id::text, t.owner_id::text, exists (select 1 from people p where p.id = t.owner_id) as owner_here from things t`;
      for (const thing of things) {
        expect(thing.owner_here).toBe(true);
        expect(shardOfId(thing.id)).toBe(shardOfId(thing.owner_id));
        expect(shardMap.clusterOf(shardOfId(thing.id))).toBe(cluster.name);
      }
    }
    const total = await Promise.all(db.clusters.map(async (c) => Number((await c.primary`select count(*)::int as n from things`)[0]!.n)));
    expect(total.reduce((a, b) => a + b, 0)).toBe(owners.length);
  });

  test('when a cross-shard listing is paged with its cursor, then it is complete, duplicate-free and ordered, ties included', async () => {
    // Same timestamp for a batch on each shard, so the id tie-break is exercised.
    for (const cluster of db.clusters) {
      const shard = cluster.name === 'shard-a' ? 3 : 700;
      await cluster.write((tx) => tx`
        insert into people (id, email, created_at)
        select tessera_next_id(${shard}), 'tie' || g || '-' || ${cluster.name} || '@example.com', '2030-01-01T00:00:00.123456Z'
        from generate_series(1, 25) g`);
    }
    const expected = (await Promise.all(db.clusters.map((c) => c.primary<{ id: string }[]>`select id::text from people order by created_at desc, id desc`)))
      .flat()
      .length;

    const seen: { micros: bigint; id: bigint }[] = [];
    let cursor = '';
    let pages = 0;
    do {
      const page = await scatterGather(
        db.clusters,
        (sql, after, limit) =>
          sql<{ id: string; micros: string }[]>`
            select id::text, ${micros(sql)} as micros from people
            where ${olderThan(sql, after)}
            order by created_at desc, id desc limit ${limit}`,
        (row) => ({ createdAtMicros: BigInt(row.micros), id: BigInt(row.id) }),
        { page: { size: 997, token: cursor, offset: 0 }, read: { consistency: 'primary' } },
      );
      seen.push(...page.items.map((r) => ({ micros: BigInt(r.micros), id: BigInt(r.id) })));
      cursor = page.nextPageToken;
      pages++;
    } while (cursor);

    expect(pages).toBe(Math.ceil(expected / 997));
    expect(seen).toHaveLength(expected);
    expect(new Set(seen.map((s) => s.id)).size).toBe(expected);
    for (let i = 1; i < seen.length; i++) {
      const [a, b] = [seen[i - 1]!, seen[i]!];
      expect(a.micros > b.micros || (a.micros === b.micros && a.id > b.id)).toBe(true);
    }
  });
});
