import { createHmac, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { AppError, Code } from '@tessera/errors';
import { until } from '@tessera/testing';
import { AccessTokenVerifier, generateSigningKey, issueAccessToken, loadSigningKeys, type SigningKey } from '@tessera/auth';

const settings = { issuer: 'https://auth.tessera.test', audience: 'tessera-api', ttlSeconds: 900 };
const b64 = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('access token verification', () => {
  let current: SigningKey;
  let previous: SigningKey;
  let fetches = 0;
  let verifier: AccessTokenVerifier;
  const claims = { sub: 'usr_42', role: 'user' as const, scope: '' };

  beforeAll(() => {
    [current, previous] = loadSigningKeys([generateSigningKey('k-2026-11'), generateSigningKey('k-2026-10')]) as [SigningKey, SigningKey];
    verifier = new AccessTokenVerifier({
      issuer: settings.issuer,
      audience: settings.audience,
      refetchIntervalMs: 60_000,
      maxTokenAgeSeconds: settings.ttlSeconds,
      fetchJwks: async () => {
        fetches++;
        return { keys: [current.publicJwk, previous.publicJwk] };
      },
    });
  });

  async function rejected(token: string): Promise<boolean> {
    try {
      await verifier.verify(token);
      return false;
    } catch (error) {
      return error instanceof AppError && error.code === Code.UNAUTHENTICATED && error.message === 'invalid or expired access token';
    }
  }

  /** Signs arbitrary header and claims with the current key, to forge the cases an honest issuer never makes. */
  async function signed(header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ role: 'user', scope: '', ...payload })
      .setProtectedHeader({ alg: 'ES256', kid: current.kid, typ: 'at+jwt', ...header } as never)
      .setIssuer((payload.iss as string) ?? settings.issuer)
      .setAudience((payload.aud as string) ?? settings.audience)
      .setSubject('usr_42')
      .setIssuedAt(now)
      .setNotBefore((payload.nbf as number) ?? now)
      .setExpirationTime((payload.exp as number) ?? now + 600)
      .sign(current.privateKey);
  }

  test('when a token is well formed and signed by the current key, then it is accepted with its claims', async () => {
    const token = await issueAccessToken(current, settings, { ...claims, scope: 'orders:read orders:write' });
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'usr_42', role: 'user', scopes: ['orders:read', 'orders:write'] });
  });

  test('when a token was signed by the previous (rotated) key and has not expired, then it is still accepted', async () => {
    const token = await issueAccessToken(previous, settings, claims);
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'usr_42' });
  });

  test('when alg is none, then it is rejected', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = `${b64({ alg: 'none', kid: current.kid, typ: 'at+jwt' })}.${b64({ sub: 'usr_1', role: 'admin', iss: settings.issuer, aud: settings.audience, iat: now, exp: now + 600 })}.`;
    expect(await rejected(token)).toBe(true);
  });

  test('when the token is HS256 signed with the public key as the secret, then it is rejected', async () => {
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${b64({ alg: 'HS256', kid: current.kid, typ: 'at+jwt' })}.${b64({ sub: 'usr_1', role: 'admin', iss: settings.issuer, aud: settings.audience, iat: now, exp: now + 600 })}`;
    for (const secret of [createPublicKey(current.privateKey).export({ format: 'pem', type: 'spki' }).toString(), JSON.stringify(current.publicJwk)]) {
      const token = `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
      expect(await rejected(token)).toBe(true);
    }
  });

  test('when the token is signed by an attacker key (even with the key embedded in the header), then it is rejected', async () => {
    const attacker = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const token = await new SignJWT({ role: 'admin', scope: '' })
      .setProtectedHeader({ alg: 'ES256', kid: current.kid, typ: 'at+jwt', jwk: attacker.publicKey.export({ format: 'jwk' }) as never })
      .setIssuer(settings.issuer).setAudience(settings.audience).setSubject('usr_1').setIssuedAt().setExpirationTime('10m')
      .sign(attacker.privateKey);
    expect(await rejected(token)).toBe(true);
  });

  test.each([
    ['expired', { exp: Math.floor(Date.now() / 1000) - 60 }, {}],
    ['not yet valid (nbf in the future)', { nbf: Math.floor(Date.now() / 1000) + 600 }, {}],
    ['for another audience', { aud: 'another-api' }, {}],
    ['from another issuer', { iss: 'https://evil.example' }, {}],
    ['a refresh token (typ rt+jwt)', {}, { typ: 'rt+jwt' }],
    ['an ID token (typ JWT)', {}, { typ: 'JWT' }],
    ['without a typ', {}, { typ: undefined }],
  ])('when the token is %s, then it is rejected', async (_name, payload, header) => {
    expect(await rejected(await signed(header, payload))).toBe(true);
  });

  test('when a token names an unknown kid, then it is rejected after at most one JWKS refresh', async () => {
    const before = fetches;
    const stranger = loadSigningKeys([generateSigningKey('k-unknown')])[0]!;
    expect(await rejected(await issueAccessToken(stranger, settings, claims))).toBe(true);
    expect(await rejected(await issueAccessToken(stranger, settings, claims))).toBe(true);
    expect(fetches - before).toBeLessThanOrEqual(1);
  });

  test.each(["../../../etc/passwd", "' OR '1'='1", 'k-2026-11\u0000', '<script>', 'x'.repeat(200)])('when the kid is %p, then it is rejected without a lookup', async (kid) => {
    const before = fetches;
    expect(await rejected(await signed({ kid }, {}))).toBe(true);
    expect(fetches).toBe(before);
  });

  test('when the payload is tampered with, then the signature check rejects it', async () => {
    const token = await issueAccessToken(current, settings, claims);
    const [header, payload, signature] = token.split('.');
    const forged = { ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), role: 'admin', sub: 'usr_1' };
    expect(await rejected(`${header}.${b64(forged)}.${signature}`)).toBe(true);
  });

  test.each(['', 'not-a-jwt', 'a.b', 'a.b.c.d', `${'x'.repeat(5000)}`])('when the token is garbage (%p), then it is rejected', async (token) => {
    expect(await rejected(token)).toBe(true);
  });

  test('when a token signed by a trusted key claims a 100-year lifetime, then it is rejected (no longer than the issuer\'s TTL)', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await rejected(await signed({}, { exp: now + 100 * 365 * 24 * 3600 }))).toBe(true);
    // An old iat with a far exp: too old, whatever exp says.
    const old = await new SignJWT({ role: 'user', scope: '' })
      .setProtectedHeader({ alg: 'ES256', kid: current.kid, typ: 'at+jwt' })
      .setIssuer(settings.issuer).setAudience(settings.audience).setSubject('usr_42').setIssuedAt(now - 2 * settings.ttlSeconds).setExpirationTime(now + 60)
      .sign(current.privateKey);
    expect(await rejected(old)).toBe(true);
  });
});

describe('access token verification across a key rotation', () => {
  test('when a key is retired from the JWKS, then a cached token it signed is refused after the next scheduled refresh', async () => {
    const [kept, retired] = loadSigningKeys([generateSigningKey('k-kept'), generateSigningKey('k-retired')]) as [SigningKey, SigningKey];
    let published = [kept.publicJwk, retired.publicJwk];
    let fetches = 0;
    const verifier = new AccessTokenVerifier({
      ...settings,
      maxTokenAgeSeconds: settings.ttlSeconds,
      jwksRefreshMs: 50,
      fetchJwks: async () => {
        fetches++;
        return { keys: published };
      },
    });
    const token = await issueAccessToken(retired, settings, { sub: 'usr_7', role: 'admin', scope: '' });
    const other = await issueAccessToken(kept, settings, { sub: 'usr_8', role: 'user', scope: '' });
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'usr_7' });
    await expect(verifier.verify(other)).resolves.toMatchObject({ sub: 'usr_8' });
    published = [kept.publicJwk];
    const before = fetches;
    // Verified and cached before the rotation; refused once the verifier has seen the new key set.
    await until('the retired key\'s token to be refused', async () => (await verifier.verify(token).then(() => false, () => true)), 2_000, 20);
    expect(fetches).toBeGreaterThan(before);
    await expect(verifier.verify(other)).resolves.toMatchObject({ sub: 'usr_8' });
  });
});
