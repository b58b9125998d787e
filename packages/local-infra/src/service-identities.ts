import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateServiceKey, ServiceTokenSigner } from '@tessera/auth';
import { SERVICE_NAMES, type Caller } from './topology';

export interface ServiceIdentities {
  /** The directory of public keys every process trusts (SERVICE_TRUST_DIR). */
  trustDir: string;
  /** SERVICE_KEY and SERVICE_TRUST_DIR for one process. */
  env(name: Caller): { SERVICE_KEY: string; SERVICE_TRUST_DIR: string };
  /** A signer holding `name`'s key: for a test that calls as that process. */
  signer(name: Caller): ServiceTokenSigner;
}

/**
 * What the chart does with its generated keys, for a local platform: an
 * Ed25519 key per process (the edge and every service), and a directory with
 * each public key as `<name>.pem` for every process to trust.
 */
export function createServiceIdentities(dir: string): ServiceIdentities {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keys = new Map<Caller, string>();
  for (const name of ['edge', ...SERVICE_NAMES] as Caller[]) {
    const pair = generateServiceKey();
    keys.set(name, pair.privateKeyPem);
    writeFileSync(path.join(dir, `${name}.pem`), pair.publicKeyPem);
  }
  return {
    trustDir: dir,
    env: (name) => ({ SERVICE_KEY: keys.get(name)!, SERVICE_TRUST_DIR: dir }),
    signer: (name) => new ServiceTokenSigner(name, keys.get(name)!),
  };
}
