import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { errors, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { AppError } from '@tessera/errors';

/**
 * Service identity: each Tessera process holds an Ed25519 key and proves who
 * it is with short-lived tokens it signs itself, one per gRPC service it
 * calls (the audience), sent in the `x-service-token` metadata. Every process
 * trusts the public keys of the platform's processes (a directory of PEM
 * public keys or certificates, one `<name>.pem` each); the callee's policy
 * table decides what each name may call.
 *
 * Chosen over mTLS because the per-call cost is a map lookup on both sides
 * (tokens are reused until half their life and verifications are cached),
 * where TLS would encrypt every byte between the edge and the services.
 * A token is bound to one gRPC service and lives ten minutes, so one seen on
 * the wire cannot be replayed against another service or for long.
 */
export const SERVICE_TOKEN_TYP = 'svc+jwt';
const ISSUER = 'tessera-service';
const ALG = 'EdDSA';
const NAME = /^[a-z][a-z0-9-]{0,62}$/;

export interface ServiceKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

/** A new Ed25519 key pair, for local runs and tests (the chart generates its own). */
export function generateServiceKey(): ServiceKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString() };
}

function ed25519Private(pem: string, name: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the service key of ${name} must be an Ed25519 private key`);
  return key;
}

/** Signs this process's tokens: one per audience, re-signed when half its life has passed. */
export class ServiceTokenSigner {
  private readonly key: KeyObject;
  private readonly tokens = new Map<string, { token: string; renewAt: number }>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    readonly name: string,
    privateKeyPem: string,
    private readonly ttlSeconds = 600,
  ) {
    if (!NAME.test(name)) throw new Error(`invalid service name ${JSON.stringify(name)}`);
    this.key = ed25519Private(privateKeyPem, name);
  }

  /** The current token for `audience` when one is fresh (the hot path: no await); otherwise undefined, and one is being signed. */
  current(audience: string): string | undefined {
    const held = this.tokens.get(audience);
    if (held && held.renewAt > Date.now()) return held.token;
    void this.token(audience).catch(() => undefined);
    // A token past half its life is still valid: use it while the next is signed.
    return held?.token;
  }

  token(audience: string): Promise<string> {
    let pending = this.pending.get(audience);
    if (!pending) {
      const now = Math.floor(Date.now() / 1000);
      pending = new SignJWT({})
        .setProtectedHeader({ alg: ALG, typ: SERVICE_TOKEN_TYP, kid: this.name })
        .setIssuer(ISSUER)
        .setSubject(this.name)
        .setAudience(audience)
        .setIssuedAt(now)
        .setExpirationTime(now + this.ttlSeconds)
        .sign(this.key)
        .then((token) => {
          this.tokens.set(audience, { token, renewAt: Date.now() + (this.ttlSeconds * 1000) / 2 });
          return token;
        })
        .finally(() => this.pending.delete(audience));
      this.pending.set(audience, pending);
    }
    return pending;
  }
}

const REJECT = () => AppError.unauthenticated('invalid service credentials');

/** Verifies service tokens against the trusted keys; each token is checked once and remembered until it expires. */
export class ServiceTokenVerifier {
  private readonly verified = new LRUCache<string, { name: string; audience: string; expiresAt: number }>({ max: 1_000 });

  constructor(private readonly keys: ReadonlyMap<string, KeyObject>) {}

  /** Trusts each `<name>.pem` in `dir` (a public key, or a certificate whose key is taken). */
  static fromDirectory(dir: string): ServiceTokenVerifier {
    const keys = new Map<string, KeyObject>();
    for (const file of readdirSync(dir)) {
      // Kubernetes mounts ConfigMap keys as symlinks next to ..data folders; those are skipped.
      if (!file.endsWith('.pem') || file.startsWith('.')) continue;
      const name = file.slice(0, -'.pem'.length);
      const key = createPublicKey(readFileSync(path.join(dir, file), 'utf8'));
      if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${file}: the key of ${name} is not Ed25519`);
      keys.set(name, key);
    }
    return new ServiceTokenVerifier(keys);
  }

  get trusted(): string[] {
    return [...this.keys.keys()];
  }

  /** The caller's name, when the token is valid for `audience`; UNAUTHENTICATED otherwise. */
  async verify(token: string, audience: string): Promise<string> {
    const cached = this.verified.get(token);
    if (cached && cached.audience === audience && cached.expiresAt > Date.now()) return cached.name;
    if (token.length > 2048) throw REJECT();
    const name = kidOf(token);
    const key = name === undefined ? undefined : this.keys.get(name);
    if (!key) throw REJECT();
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: [ALG], typ: SERVICE_TOKEN_TYP, issuer: ISSUER, audience, subject: name, requiredClaims: ['exp', 'iat'], maxTokenAge: '15m', clockTolerance: 5 });
      this.verified.set(token, { name: name!, audience, expiresAt: payload.exp! * 1000 });
      return name!;
    } catch (error) {
      if (error instanceof errors.JOSEError || error instanceof TypeError) throw REJECT();
      throw error;
    }
  }
}

function kidOf(token: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof header.kid === 'string' && NAME.test(header.kid) ? header.kid : undefined;
  } catch {
    return undefined;
  }
}
