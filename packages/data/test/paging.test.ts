import { MAX_OFFSET, MAX_PAGE_SIZE, pageRequest, pageSize } from '@tessera/data';

describe('page requests', () => {
  test('when no page or a zero size is asked for, then the default page of 20 from the start', () => {
    expect(pageRequest(undefined)).toEqual({ size: 20, token: '', offset: 0 });
    expect(pageRequest({ pageSize: 0, pageToken: '', offset: 0 })).toEqual({ size: 20, token: '', offset: 0 });
  });

  test('when sizes and offsets are out of range, then they are clamped, not refused', () => {
    expect(pageRequest({ pageSize: 5_000, offset: -3 })).toEqual({ size: MAX_PAGE_SIZE, token: '', offset: 0 });
    expect(pageRequest({ pageSize: 7.9, offset: 10_000_000 })).toEqual({ size: 7, token: '', offset: MAX_OFFSET });
    expect(pageSize(Number.NaN)).toBe(20);
    expect(pageSize(-1, 50)).toBe(50);
  });

  test('when a cursor is given, then it is passed on as it is', () => {
    expect(pageRequest({ pageSize: 10, pageToken: 'abc', offset: 0 })).toEqual({ size: 10, token: 'abc', offset: 0 });
  });
});
