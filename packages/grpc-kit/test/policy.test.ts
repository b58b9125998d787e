import { Metadata } from '@grpc/grpc-js';
import { AccessTokenVerifier, generateServiceKey, generateSigningKey, issueAccessToken, loadSigningKeys, ServiceTokenSigner, ServiceTokenVerifier, type AccessTokenClaims } from '@tessera/auth';
import { createPublicKey } from 'node:crypto';
import { allow, authorizeCall, type CallAuthentication, type Policy } from '@tessera/grpc-kit';

const [signingKey] = loadSigningKeys([generateSigningKey()]);
const settings = { issuer: 'https://issuer.test', audience: 'tessera-api', ttlSeconds: 600 };
const orders = generateServiceKey();
const edge = generateServiceKey();
const auth: CallAuthentication = {
  services: new ServiceTokenVerifier(new Map([['orders', createPublicKey(orders.publicKeyPem)], ['edge', createPublicKey(edge.publicKeyPem)]])),
  users: new AccessTokenVerifier({ ...settings, maxTokenAgeSeconds: 600, fetchJwks: async () => ({ keys: [signingKey!.publicJwk] }) }),
};
const AUDIENCE = 'tessera.test.v1.TestService';

async function outcome(policy: Policy, credentials: { bearer?: AccessTokenClaims; service?: ServiceTokenSigner; audience?: string }, request: object = {}): Promise<string> {
  const metadata = new Metadata();
  if (credentials.bearer) metadata.set('authorization', `Bearer ${await issueAccessToken(signingKey!, settings, credentials.bearer)}`);
  if (credentials.service) metadata.set('x-service-token', await credentials.service.token(credentials.audience ?? AUDIENCE));
  try {
    const caller = await authorizeCall(policy, metadata, request, AUDIENCE, auth);
    return caller.service ?? caller.user?.sub ?? 'anyone';
  } catch (error) {
    return (error as { code: number }).code === 16 ? 'UNAUTHENTICATED' : (error as { code: number }).code === 7 ? 'PERMISSION_DENIED' : String(error);
  }
}

const person = (sub: string, role: 'user' | 'admin' = 'user'): AccessTokenClaims => ({ sub, role, scope: '' });
const apiKey = (sub: string, scope: string, role: 'user' | 'admin' = 'user'): AccessTokenClaims => ({ sub, role, scope, key_id: 'key_1' });
const client = (scope: string): AccessTokenClaims => ({ sub: 'cli_1', role: 'user', scope, client_id: 'cli_1' });

describe('call policies', () => {
  test('when a method is for named services, then only their valid tokens for this service pass', async () => {
    const policy = allow.services('orders');
    expect(await outcome(policy, { service: new ServiceTokenSigner('orders', orders.privateKeyPem) })).toBe('orders');
    expect(await outcome(policy, { service: new ServiceTokenSigner('edge', edge.privateKeyPem) })).toBe('PERMISSION_DENIED');
    // Claims to be orders, signed with another key; a token for another service; no token; a user's token.
    expect(await outcome(policy, { service: new ServiceTokenSigner('orders', generateServiceKey().privateKeyPem) })).toBe('UNAUTHENTICATED');
    expect(await outcome(policy, { service: new ServiceTokenSigner('orders', orders.privateKeyPem), audience: 'tessera.other.v1.Other' })).toBe('UNAUTHENTICATED');
    expect(await outcome(policy, {})).toBe('UNAUTHENTICATED');
    expect(await outcome(policy, { bearer: person('usr_1', 'admin') })).toBe('UNAUTHENTICATED');
  });

  test('when a method is for a user over their own things, then the named user must be the credential, unless an admin holds the scopes for others', async () => {
    const policy = allow.user({ scopes: ['orders:read'], owner: 'userId', othersNeed: ['users:read'] });
    expect(await outcome(policy, { bearer: person('usr_1') }, { userId: 'usr_1' })).toBe('usr_1');
    expect(await outcome(policy, { bearer: person('usr_1') }, { userId: 'usr_2' })).toBe('PERMISSION_DENIED');
    expect(await outcome(policy, { bearer: person('usr_9', 'admin') }, { userId: 'usr_2' })).toBe('usr_9');
    expect(await outcome(policy, { bearer: apiKey('usr_9', 'orders:read', 'admin') }, { userId: 'usr_2' })).toBe('PERMISSION_DENIED');
    expect(await outcome(policy, { bearer: apiKey('usr_9', 'orders:read users:read', 'admin') }, { userId: 'usr_2' })).toBe('usr_9');
    // Keys and clients are held to their scopes; a client is nobody's user.
    expect(await outcome(policy, { bearer: apiKey('usr_1', 'orders:read') }, { userId: 'usr_1' })).toBe('usr_1');
    expect(await outcome(policy, { bearer: apiKey('usr_1', 'profile:read') }, { userId: 'usr_1' })).toBe('PERMISSION_DENIED');
    expect(await outcome(policy, { bearer: client('orders:read') }, { userId: 'cli_1' })).toBe('PERMISSION_DENIED');
    expect(await outcome(policy, {}, { userId: 'usr_1' })).toBe('UNAUTHENTICATED');
  });

  test('when a method is session-only, then API keys and clients are refused whatever their scopes', async () => {
    const policy = allow.user({ owner: 'userId', sessionOnly: true });
    expect(await outcome(policy, { bearer: person('usr_1') }, { userId: 'usr_1' })).toBe('usr_1');
    expect(await outcome(policy, { bearer: apiKey('usr_1', 'profile:read profile:write') }, { userId: 'usr_1' })).toBe('PERMISSION_DENIED');
  });

  test('when a method is for admins, then a user is refused, an admin key needs the scope, and a client only where clients are allowed', async () => {
    expect(await outcome(allow.admin(['products:write']), { bearer: person('usr_1') })).toBe('PERMISSION_DENIED');
    expect(await outcome(allow.admin(['products:write']), { bearer: person('usr_9', 'admin') })).toBe('usr_9');
    expect(await outcome(allow.admin(['products:write']), { bearer: apiKey('usr_9', 'users:read', 'admin') })).toBe('PERMISSION_DENIED');
    expect(await outcome(allow.admin(['products:write']), { bearer: client('products:write') })).toBe('PERMISSION_DENIED');
    expect(await outcome(allow.admin(['products:write'], { clients: true }), { bearer: client('products:write') })).toBe('cli_1');
    expect(await outcome(allow.admin(['products:write'], { clients: true }), { bearer: client('orders:read') })).toBe('PERMISSION_DENIED');
  });

  test('when a method is public, then no credential is needed and none is checked', async () => {
    const metadata = new Metadata();
    metadata.set('authorization', 'Bearer not-a-token');
    await expect(authorizeCall(allow.public(), metadata, {}, AUDIENCE, {})).resolves.toEqual({});
  });
});
