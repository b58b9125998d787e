import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { PasswordHasher } from '../domain/user';

/** OWASP's scrypt setting with a 32 MiB memory cost (N=2^15, r=8, p=3). */
export const DEFAULT_SCRYPT = { N: 2 ** 15, r: 8, p: 3 } as const;

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }, length: number): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFKC'), salt, length, options, (err, key) => (err ? reject(err) : resolve(key))));
}

/**
 * scrypt from Node's crypto (OpenSSL), run on the libuv pool so hashing does
 * not block the event loop. The stored form carries its parameters
 * (`scrypt$N$r$p$salt$hash`), so they can be raised later without breaking
 * existing hashes.
 */
export function scryptHasher(params: { N: number; r: number; p: number } = DEFAULT_SCRYPT): PasswordHasher {
  return {
    async hash(password) {
      const salt = randomBytes(16);
      const key = await derive(password, salt, params, 32);
      return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
    },
    async verify(password, stored) {
      const [scheme, N, r, p, salt, hash] = stored.split('$');
      if (scheme !== 'scrypt' || !salt || !hash) return false;
      const expected = Buffer.from(hash, 'base64url');
      const actual = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(N), r: Number(r), p: Number(p) }, expected.length);
      return timingSafeEqual(actual, expected);
    },
  };
}
