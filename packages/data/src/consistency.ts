/**
 * Read-your-writes tokens: the commit LSN of a write on a physical cluster,
 * handed to the client and carried by its later reads (gRPC metadata
 * `x-consistency-token`, the edge's `X-Consistency-Token` header). A replica
 * serves such a read only once it has replayed past the LSN.
 *
 * Format `v1.<cluster>.<lsn>`, e.g. `v1.shard-a.0/3000148`. Opaque to clients.
 */
export interface ConsistencyToken {
  cluster: string;
  lsn: bigint;
}

const TOKEN = /^v1\.([a-z0-9-]{1,40})\.([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i;

export function formatToken(token: ConsistencyToken): string {
  return `v1.${token.cluster}.${formatLsn(token.lsn)}`;
}

/** Undefined for anything malformed: a bad token must not fail a read, only lose its guarantee. */
export function parseToken(value: string): ConsistencyToken | undefined {
  const match = TOKEN.exec(value.trim());
  if (!match) return undefined;
  return { cluster: match[1]!, lsn: (BigInt(`0x${match[2]}`) << 32n) | BigInt(`0x${match[3]}`) };
}

/** Every valid token among header/metadata values, which may be comma-separated lists. */
export function parseTokens(values: readonly string[]): ConsistencyToken[] {
  return values.flatMap((v) => v.split(',')).map(parseToken).filter((t): t is ConsistencyToken => t !== undefined);
}

/** The latest token per cluster, so a client can carry one combined value. */
export function mergeTokens(tokens: readonly ConsistencyToken[]): ConsistencyToken[] {
  const latest = new Map<string, bigint>();
  for (const { cluster, lsn } of tokens) if ((latest.get(cluster) ?? -1n) < lsn) latest.set(cluster, lsn);
  return [...latest].map(([cluster, lsn]) => ({ cluster, lsn }));
}

/** Postgres pg_lsn text ("16/B374D848") ↔ bigint. */
export function parseLsn(text: string): bigint {
  const [hi, lo] = text.split('/');
  if (hi === undefined || lo === undefined) throw new Error(`not an LSN: ${text}`);
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** A write's result and its consistency token (the commit LSN), which callers hand back for read-your-writes. */
export interface Written<T> {
  value: T;
  /** '' when nothing was written. */
  token: string;
}

/** What a read must honour: the caller's tokens (as sent, unparsed) and its deadline. */
export interface ReadConsistency {
  tokens: readonly string[];
  deadline: number;
}
