import { PublicCache, type CachedAnswer } from '../src/http/public-cache';

const answer = (n: number): CachedAnswer => ({ payload: `{"v":${n}}`, etag: `W/"${n}"` });

describe('the edge public cache', () => {
  let now = 0;
  const cache = () => new PublicCache({ maxEntries: 100, ttlMs: 10_000, now: () => now });
  beforeEach(() => (now = 1_000_000));

  test('when 50 requests miss one key together, then one load serves them all', async () => {
    const c = cache();
    let loads = 0;
    const load = async () => (loads++, await new Promise((r) => setTimeout(r, 10)), answer(1));
    const got = await Promise.all(Array.from({ length: 50 }, () => c.get('k', 'prd_1', load)));
    expect(loads).toBe(1);
    expect(new Set(got.map((a) => a!.payload))).toEqual(new Set(['{"v":1}']));
  });

  test('when an entry comes due, then it is still served while a background load replaces it, and never past the TTL', async () => {
    const c = cache();
    let version = 1;
    const load = async () => answer(version);
    await c.get('k', 'prd_1', load);
    version = 2;
    now += 4_000; // before the earliest refresh (half the TTL)
    expect((await c.get('k', 'prd_1', load))!.payload).toBe('{"v":1}');
    now += 3_600; // past the latest refresh point (three quarters), before the TTL
    expect((await c.get('k', 'prd_1', load))!.payload).toBe('{"v":1}'); // served stale, reload started
    await new Promise((r) => setImmediate(r));
    expect((await c.get('k', 'prd_1', load))!.payload).toBe('{"v":2}');
    // Nothing is ever served past the TTL: with no reload, the entry is gone.
    const lazy = cache();
    await lazy.get('k', 'prd_1', async () => answer(1));
    now += 10_001;
    expect((await lazy.get('k', 'prd_1', async () => answer(3)))!.payload).toBe('{"v":3}');
  });

  test('when a change notice names the object, then every answer tagged with it goes, in every version', async () => {
    const c = cache();
    await c.get('v1:/products/1', 'prd_1', async () => answer(1));
    await c.get('v2:/products/prd_1', 'prd_1', async () => answer(1));
    await c.get('v2:/products/prd_2', 'prd_2', async () => answer(1));
    c.invalidate(['prd_1']);
    expect((await c.get('v1:/products/1', 'prd_1', async () => answer(5)))!.payload).toBe('{"v":5}');
    expect((await c.get('v2:/products/prd_1', 'prd_1', async () => answer(5)))!.payload).toBe('{"v":5}');
    expect((await c.get('v2:/products/prd_2', 'prd_2', async () => answer(5)))!.payload).toBe('{"v":1}');
  });

  test('when a notice arrives while a load is under way, then that load is served but not kept', async () => {
    const c = cache();
    let release = () => undefined as void;
    const slow = c.get('k', 'prd_1', () => new Promise<CachedAnswer>((r) => (release = () => r(answer(1)))));
    c.invalidate(['prd_1']);
    release();
    expect((await slow)!.payload).toBe('{"v":1}');
    expect((await c.get('k', 'prd_1', async () => answer(2)))!.payload).toBe('{"v":2}');
  });
});
