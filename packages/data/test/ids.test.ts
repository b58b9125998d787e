import fc from 'fast-check';
import { AppError, Code } from '@tessera/errors';
import { composeId, decomposeId, formatId, ID_EPOCH_MS, ID_PREFIXES, parseId, type IdKind } from '@tessera/data';

const kinds = Object.keys(ID_PREFIXES) as IdKind[];
const anyId = fc.bigInt({ min: 1n, max: (1n << 63n) - 1n });

function invalid(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (error) {
    return error instanceof AppError && error.code === Code.INVALID_ARGUMENT && error.violations.length === 1;
  }
}

describe('ids', () => {
  test('when parts are composed, then decomposing gives them back', () => {
    fc.assert(
      fc.property(fc.integer({ min: ID_EPOCH_MS, max: ID_EPOCH_MS + 2 ** 41 - 1 }), fc.integer({ min: 0, max: 1023 }), fc.integer({ min: 0, max: 4095 }), (timeMs, shard, sequence) => {
        const id = composeId({ timeMs, shard, sequence });
        expect(id).toBeGreaterThanOrEqual(0n);
        expect(id).toBeLessThan(1n << 63n);
        expect(decomposeId(id)).toEqual({ timeMs, shard, sequence });
      }),
      { numRuns: 2_000 },
    );
  });

  test('when any 64-bit id of any kind is formatted, then parsing gives exactly it back', () => {
    fc.assert(
      fc.property(anyId, fc.constantFrom(...kinds), (id, kind) => {
        const text = formatId(kind, id);
        expect(text.startsWith(`${ID_PREFIXES[kind]}_`)).toBe(true);
        expect(parseId(kind, text)).toBe(id.toString());
        expect(formatId(kind, parseId(kind, text))).toBe(text);
      }),
      { numRuns: 5_000 },
    );
  });

  test('when an id carries another kind\'s prefix, then it is INVALID_ARGUMENT', () => {
    fc.assert(
      fc.property(anyId, fc.constantFrom(...kinds), fc.constantFrom(...kinds), (id, made, asked) => {
        fc.pre(ID_PREFIXES[made] !== ID_PREFIXES[asked]);
        expect(invalid(() => parseId(asked, formatId(made, id)))).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  test('when the text after the prefix is not a canonical positive 64-bit decimal, then it is INVALID_ARGUMENT', () => {
    const junk = fc.oneof(
      fc.string(),
      fc.string({ unit: fc.constantFrom(...'0123456789abc_-+ .e'.split('')) }),
      fc.bigInt({ min: 1n << 63n, max: 1n << 80n }).map(String),
      anyId.map((n) => `0${n}`),
      anyId.map((n) => `-${n}`),
      anyId.map((n) => ` ${n}`),
      fc.constant('0'),
    );
    fc.assert(
      fc.property(junk, (rest) => {
        fc.pre(!/^[1-9][0-9]{0,18}$/.test(rest) || BigInt(rest) >= 1n << 63n);
        expect(invalid(() => parseId('order', `ord_${rest}`))).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });

  test('at the edge of the range: 2^63-1 and 1 parse, 2^63 and the largest 19-digit number do not', () => {
    expect(parseId('order', 'ord_9223372036854775807')).toBe('9223372036854775807');
    expect(parseId('order', 'ord_1')).toBe('1');
    expect(parseId('order', 'ord_999999999999999999')).toBe('999999999999999999');
    for (const rest of ['9223372036854775808', '9300000000000000000', '9999999999999999999', '10000000000000000000']) expect(invalid(() => parseId('order', `ord_${rest}`))).toBe(true);
  });

  test.each([undefined, null, 42, {}, ['ord_1']])('when the value is %p rather than a string, then it is INVALID_ARGUMENT', (value) => {
    expect(invalid(() => parseId('order', value))).toBe(true);
  });
});
