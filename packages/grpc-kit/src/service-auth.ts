import { createPrivateKey, hkdfSync, randomBytes } from 'node:crypto';
import { AccessTokenVerifier, ServiceTokenSigner, ServiceTokenVerifier } from '@tessera/auth';
import { env } from '@tessera/config';
import { users } from '@tessera/contracts';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { createClient } from './client';
import type { CallAuthentication } from './policy';

/** How a process proves who it is and checks who calls it; every gRPC process reads these. */
export const serviceAuthConfigShape = {
  /** This process's Ed25519 private key (PEM), its service identity. Unset: it calls as an outside client, and methods for services refuse it. */
  SERVICE_KEY: z.string().includes('PRIVATE KEY').optional(),
  /** A directory holding the platform's processes' public keys or certificates, `<name>.pem` each. Unset: no service caller can be proven. */
  SERVICE_TRUST_DIR: z.string().min(1).optional(),
  /** Server reflection (grpcurl, grpcui without protos): it lists every method, so it is off unless asked for. */
  GRPC_REFLECTION: env.flag(false),
};

/** Where services other than users get the keys that verify access tokens: the users service's JWKS. */
export const userTokensConfigShape = {
  USERS_TARGET: z.string().min(1).default('users:50051'),
  JWT_ISSUER: z.string().url().default('https://tessera.local'),
  JWT_AUDIENCE: z.string().min(1).default('tessera-api'),
  /** The users service's ACCESS_TOKEN_TTL_S: no token with a longer lifetime (or older than this) is accepted. */
  JWT_MAX_AGE_S: z.coerce.number().int().min(60).max(3_600).default(900),
  JWKS_REFRESH_MS: z.coerce.number().int().min(1_000).default(60_000),
};

type ServiceAuthConfig = { SERVICE_KEY?: string | undefined; SERVICE_TRUST_DIR?: string | undefined };
type UserTokensConfig = { USERS_TARGET: string; JWT_ISSUER: string; JWT_AUDIENCE: string; JWT_MAX_AGE_S: number; JWKS_REFRESH_MS: number };

/** The signer of this process's service tokens, if it has a key. */
export function serviceIdentity(name: string, config: ServiceAuthConfig): ServiceTokenSigner | undefined {
  return config.SERVICE_KEY ? new ServiceTokenSigner(name, config.SERVICE_KEY) : undefined;
}

/**
 * The secret that authenticates this service's cache entries in Redis,
 * derived from its service key (the same on every replica), so that writing
 * to Redis does not forge what the cache holds. Without a key, one per
 * process: entries then verify only where they were written.
 */
export function cacheIntegrityKey(config: ServiceAuthConfig): Buffer {
  if (!config.SERVICE_KEY) return randomBytes(32);
  const secret = createPrivateKey(config.SERVICE_KEY).export({ format: 'der', type: 'pkcs8' });
  return Buffer.from(hkdfSync('sha256', secret, 'tessera', 'cache integrity', 32));
}

/** The trusted service keys, if a directory is configured. */
export function trustedServices(config: ServiceAuthConfig): ServiceTokenVerifier | undefined {
  return config.SERVICE_TRUST_DIR ? ServiceTokenVerifier.fromDirectory(config.SERVICE_TRUST_DIR) : undefined;
}

/**
 * Call authentication for a service that is not the token issuer: service
 * tokens from the trust directory, access tokens against the users service's
 * JWKS (fetched on an unknown kid and every JWKS_REFRESH_MS).
 */
export function remoteCallAuthentication(config: ServiceAuthConfig & UserTokensConfig, registry: Registry, identity: ServiceTokenSigner | undefined): CallAuthentication & { close(): void } {
  const auth = createClient(users.AuthServiceClient, users.AuthServiceService, config.USERS_TARGET, { registry, identity, defaultDeadlineMs: 5_000 });
  const services = trustedServices(config);
  return {
    ...(services ? { services } : {}),
    users: new AccessTokenVerifier({
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      maxTokenAgeSeconds: config.JWT_MAX_AGE_S,
      jwksRefreshMs: config.JWKS_REFRESH_MS,
      fetchJwks: async () => ({ keys: (await auth.getJwks({})).keys.map((k) => ({ ...k })) }),
    }),
    close: () => auth.close(),
  };
}
