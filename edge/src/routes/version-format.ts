import { ID_PREFIXES, isIdDigits, type IdKind } from '@tessera/data';
import { problem } from '../errors/problem';
import type { Version } from './version';

interface Money {
  amountMinor: number;
  currency: string;
}

/**
 * Everything that differs between /api/v1 and /api/v2 on the way out (and ids
 * on the way in). v1: bare numeric ids, money as a decimal string with a
 * currency, limit/offset pages. v2: prefixed ids, money in minor units, cursors.
 */
export interface VersionFormat {
  id(kind: IdKind, prefixed: string): string;
  /** A path or body id as the client wrote it → the prefixed form the services take. */
  parseId(kind: IdKind, raw: string, pointer: string): string;
  money(m: Money | undefined): unknown;
  page<T>(items: T[], page: { limit: number; offset: number; nextCursor: string }): unknown;
  /** Timestamps are RFC 3339 in both versions; absent ones are null. */
  time(d: Date | undefined): string | null;
}

function decimal(minor: number): string {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

export function versionFormat(version: Version): VersionFormat {
  const v2 = version === 'v2';
  return {
    id: (kind, prefixed) => (v2 ? prefixed : prefixed.slice(ID_PREFIXES[kind].length + 1)),
    parseId(kind, raw, pointer) {
      const prefix = `${ID_PREFIXES[kind]}_`;
      if (raw.startsWith(prefix) && isIdDigits(raw.slice(prefix.length))) return raw;
      if (!v2 && isIdDigits(raw)) return `${prefix}${raw}`;
      throw problem(400, `invalid ${kind} id`, [{ pointer, detail: v2 ? `must be an id like "${prefix}123"` : 'must be a numeric id' }]);
    },
    money: (m) => (m === undefined ? undefined : v2 ? { amount_minor: m.amountMinor, currency: m.currency } : { amount: decimal(m.amountMinor), currency: m.currency }),
    page: (items, page) => (v2 ? { data: items, next_cursor: page.nextCursor || null } : { data: items, limit: page.limit, offset: page.offset }),
    time: (d) => d?.toISOString() ?? null,
  };
}

/** v1 money in: "19.99" → 1999 (two decimals at most). */
export function minorFromDecimal(text: string): number | undefined {
  const match = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * 100 + Number((match[2] ?? '0').padEnd(2, '0'));
}
