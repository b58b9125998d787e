import { composeId, ShardMap, shardMapSchema } from '@tessera/data';

describe('shard map', () => {
  test('when ranges leave a gap, overlap or stop short, then the map is rejected', () => {
    expect(shardMapSchema.safeParse({ logicalShards: 8, ranges: [{ from: 0, to: 2, cluster: 'a' }, { from: 4, to: 7, cluster: 'b' }] }).success).toBe(false);
    expect(shardMapSchema.safeParse({ logicalShards: 8, ranges: [{ from: 0, to: 4, cluster: 'a' }, { from: 4, to: 7, cluster: 'b' }] }).success).toBe(false);
    expect(shardMapSchema.safeParse({ logicalShards: 8, ranges: [{ from: 0, to: 6, cluster: 'a' }] }).success).toBe(false);
    expect(shardMapSchema.safeParse({ logicalShards: 8, ranges: [{ from: 4, to: 7, cluster: 'b' }, { from: 0, to: 3, cluster: 'a' }] }).success).toBe(true);
  });

  test('when 1024 shards are split evenly over two clusters, then each holds 512', () => {
    const map = ShardMap.even(['shard-a', 'shard-b']);
    expect(map.clusterOf(0)).toBe('shard-a');
    expect(map.clusterOf(511)).toBe('shard-a');
    expect(map.clusterOf(512)).toBe('shard-b');
    expect(map.clusterOf(1023)).toBe('shard-b');
    expect(() => map.clusterOf(1024)).toThrow(RangeError);
  });

  test('when logical shards move to a new cluster, then existing ids route there unchanged', () => {
    const before = ShardMap.even(['shard-a', 'shard-b']);
    const after = new ShardMap({ logicalShards: 1024, ranges: [{ from: 0, to: 511, cluster: 'shard-a' }, { from: 512, to: 767, cluster: 'shard-b' }, { from: 768, to: 1023, cluster: 'shard-c' }] });
    const id = composeId({ timeMs: Date.now(), shard: 900, sequence: 7 });
    const text = id.toString();
    expect(before.clusterOf(900)).toBe('shard-b');
    expect(after.clusterOf(900)).toBe('shard-c');
    expect(id.toString()).toBe(text);
  });

  test('when keys are hashed to shards, then the same key always lands on the same shard and 10,000 keys cover both halves evenly', () => {
    const map = ShardMap.even(['shard-a', 'shard-b']);
    expect(map.shardForKey('ada@example.com')).toBe(map.shardForKey('ada@example.com'));
    const counts = { 'shard-a': 0, 'shard-b': 0 } as Record<string, number>;
    for (let i = 0; i < 10_000; i++) counts[map.clusterOf(map.shardForKey(`user${i}@example.com`))]! += 1;
    expect(counts['shard-a']! / 10_000).toBeGreaterThan(0.45);
    expect(counts['shard-a']! / 10_000).toBeLessThan(0.55);
  });
});
