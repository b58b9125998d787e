import { createRegistry } from '@tessera/metrics';
import { MetadataKeys } from '@tessera/grpc-kit';
import { Batcher } from '../src/batching/batcher';

describe('coalescing reads into batched calls', () => {
  const batcher = (calls: { keys: string[]; deadlineMs: number | undefined; requestId: unknown }[], fail = false) =>
    new Batcher<string, string>({
      name: 'test',
      maxBatch: 4,
      registry: createRegistry(),
      keyOf: (k) => k,
      run: async (keys, options) => {
        calls.push({ keys, deadlineMs: options.deadlineMs, requestId: options.metadata?.[MetadataKeys.requestId] });
        if (fail) throw new Error('down');
        return new Map(keys.filter((k) => k !== 'missing').map((k) => [k, `value of ${k}`]));
      },
    });

  test('when reads arrive in one turn of the event loop, then they go out as one call, identical keys once, each caller gets its answer', async () => {
    const calls: { keys: string[]; deadlineMs: number | undefined; requestId: unknown }[] = [];
    const b = batcher(calls);
    const answers = await Promise.all([
      b.load('a', { deadlineMs: 5_000, metadata: { [MetadataKeys.requestId]: 'first' } }),
      b.load('b', { deadlineMs: 800, metadata: { [MetadataKeys.requestId]: 'second' } }),
      b.load('a', { deadlineMs: 5_000 }),
      b.load('missing', { deadlineMs: 5_000 }),
    ]);
    expect(answers).toEqual(['value of a', 'value of b', 'value of a', undefined]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.keys).toEqual(['a', 'b', 'missing']);
    // The earliest deadline bounds the batch; the first request's id rides on it.
    expect(calls[0]!.deadlineMs).toBeLessThanOrEqual(800);
    expect(calls[0]!.requestId).toBe('first');
  });

  test('when more keys than a batch holds arrive, then they are split, and reads with other consistency tokens go apart', async () => {
    const calls: { keys: string[]; deadlineMs: number | undefined; requestId: unknown }[] = [];
    const b = batcher(calls);
    await Promise.all([...'abcdef'].map((k) => b.load(k, { deadlineMs: 1_000 })).concat(b.load('z', { deadlineMs: 1_000, metadata: { [MetadataKeys.consistencyToken]: 'v1.shard-a.0/1' } })));
    expect(calls.map((c) => c.keys)).toEqual([['a', 'b', 'c', 'd'], ['e', 'f'], ['z']]);
  });

  test('when the batched call fails, then every caller in it gets the error', async () => {
    const b = batcher([], true);
    const results = await Promise.allSettled([b.load('a', {}), b.load('b', {})]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
