import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { z } from 'zod';

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: PublicJwk;
}

export interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

export const KID = /^[A-Za-z0-9_-]{1,64}$/;

/** JWT_SIGNING_KEYS: JSON list, newest first: `[{ "kid": "2026-11", "privateKeyPem": "-----BEGIN PRIVATE KEY-----..." }]`. */
export const signingKeysSchema = z
  .array(z.object({ kid: z.string().regex(KID, 'letters, digits, _ and - only'), privateKeyPem: z.string().includes('PRIVATE KEY') }))
  .min(1)
  .refine((keys) => new Set(keys.map((k) => k.kid)).size === keys.length, 'kids must be unique');

/**
 * Signing keys for access tokens. The first key signs; every key is published
 * in the JWKS, so tokens signed by a key that was rotated out of first place
 * still verify until they expire. Rotation: put a new key first, keep the old
 * one for at least the access-token lifetime, then drop it.
 */
export function loadSigningKeys(config: z.infer<typeof signingKeysSchema>): SigningKey[] {
  return config.map(({ kid, privateKeyPem }) => {
    const privateKey = createPrivateKey(privateKeyPem);
    if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error(`signing key ${kid} must be an EC P-256 key (ES256)`);
    }
    const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as { x: string; y: string };
    return { kid, privateKey, publicJwk: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, kid, alg: 'ES256', use: 'sig' } };
  });
}

/** A new ES256 key, e.g. for local runs and tests; production keys come from a Secret. */
export function generateSigningKey(kid = `k-${randomBytes(6).toString('hex')}`): { kid: string; privateKeyPem: string } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { kid, privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
}
