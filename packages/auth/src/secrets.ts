import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const MAX_ID = (1n << 63n) - 1n;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(bytes: Buffer): string {
  let n = BigInt(`0x${bytes.toString('hex') || '0'}`);
  let out = '';
  while (n > 0n) {
    out = BASE62[Number(n % 62n)]! + out;
    n /= 62n;
  }
  return out;
}

function crc32(text: string): number {
  let crc = ~0;
  for (const byte of Buffer.from(text)) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

/**
 * High-entropy secrets in the shape secret scanners look for (GitHub's
 * token format): a recognizable prefix, the id of the record it belongs to
 * (so it can be found on its shard), 160 random bits, and a CRC32 checksum
 * that lets a scanner tell a real token from a random string offline:
 *
 *   tsk_<id>_<random base62><checksum base62, 6 chars>
 */
export function mintSecret(prefix: string, id: string): string {
  const body = `${prefix}_${id}_${base62(randomBytes(20)).padStart(28, '0')}`;
  return `${body}${base62(Buffer.from(crc32(body).toString(16).padStart(8, '0'), 'hex')).padStart(6, '0')}`;
}

const shapes = new Map<string, RegExp>();

/** Splits a presented secret into its record id, or undefined if it is not well formed (or the checksum fails). */
export function parseSecret(prefix: string, secret: string): { id: string } | undefined {
  let shape = shapes.get(prefix);
  if (!shape) shapes.set(prefix, (shape = new RegExp(`^(${prefix}_([1-9][0-9]{0,18})_[0-9A-Za-z]{28})([0-9A-Za-z]{6})$`)));
  const match = shape.exec(secret);
  if (!match) return undefined;
  // The id becomes a Postgres bigint: past 2^63-1 it is no id of ours (and would be error 22003).
  if (BigInt(match[2]!) > MAX_ID) return undefined;
  const expected = base62(Buffer.from(crc32(match[1]!).toString(16).padStart(8, '0'), 'hex')).padStart(6, '0');
  return expected === match[3] ? { id: match[2]! } : undefined;
}

/** SHA-256 of a high-entropy secret: enough (no slow hash needed) because it cannot be guessed. */
export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

export function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
