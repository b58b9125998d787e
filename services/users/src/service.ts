import path from 'node:path';
import { AccessTokenVerifier, generateSigningKey, loadSigningKeys } from '@tessera/auth';
import { Cache, openStore } from '@tessera/cache';
import { protoFiles, PROTO_ROOT, users as pb } from '@tessera/contracts';
import { formatId, loadDataConfig, ShardedDb } from '@tessera/data';
import { cacheIntegrityKey, serveGrpc, trustedServices, ownProcess, type Hosting, type RunningService } from '@tessera/grpc-kit';
import { createLogger, type Logger } from '@tessera/logging';
import type { UsersConfig } from './config';
import { apiKeyRepository, type CachedPrincipal } from './data-access/api-key-repository';
import { loginThrottleRepository } from './data-access/login-throttle-repository';
import { revocationFeed } from './data-access/revocation-feed';
import { oauthClientRepository } from './data-access/oauth-client-repository';
import { refreshTokenRepository } from './data-access/refresh-token-repository';
import { DEFAULT_SCRYPT, scryptHasher } from './data-access/scrypt-hasher';
import { tokenIssuer } from './data-access/token-issuer';
import { decodeUser, userRepository } from './data-access/user-repository';
import { ensureAdmin } from './domain/accounts';
import type { User } from './domain/user';
import { apiKeysHandlers } from './entry-points/grpc/api-keys-handlers';
import { authHandlers } from './entry-points/grpc/auth-handlers';
import { oauthClientsHandlers } from './entry-points/grpc/oauth-clients-handlers';
import { usersHandlers } from './entry-points/grpc/users-handlers';
import { apiKeysPolicies, authPolicies, oauthClientsPolicies, usersPolicies } from './entry-points/grpc/policies';

export const MIGRATIONS_DIR = path.resolve(__dirname, '..', 'migrations');

/** Composes the service from its config and starts it; tests call this with port 0. */
export async function startUsersService(config: UsersConfig, logger: Logger = createLogger({ service: 'users', level: config.LOG_LEVEL }), hosting: Hosting = ownProcess()): Promise<RunningService> {
  const registry = hosting.registry;
  const db = await ShardedDb.connect({ ...loadDataConfig(config), registry });
  if (config.MIGRATE_ON_START) logger.info({ migrations: await db.migrateAll(MIGRATIONS_DIR) }, 'migrations applied');

  const store = await openStore({ url: config.REDIS_URL, namespace: 'users', commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, logger });
  // Profiles carry roles and key entries carry principals: both are authenticated, so a write to Redis cannot grant anything.
  const integrityKey = cacheIntegrityKey(config);
  const profiles = new Cache<User>({ name: 'profiles', store, registry, ttlMs: config.PROFILE_CACHE_TTL_MS, decode: decodeUser, integrityKey });
  const keyCache = new Cache<CachedPrincipal>({ name: 'api-keys', store, registry, ttlMs: config.API_KEY_CACHE_TTL_MS, negativeTtlMs: 5_000, integrityKey });

  if (!config.JWT_SIGNING_KEYS) logger.warn('JWT_SIGNING_KEYS is not set: using a key generated for this process; tokens die with it');
  const signingKeys = loadSigningKeys(config.JWT_SIGNING_KEYS ?? [generateSigningKey()]);
  const tokens = tokenIssuer(signingKeys, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, ttlSeconds: config.ACCESS_TOKEN_TTL_S });
  const hasher = scryptHasher({ ...DEFAULT_SCRYPT, N: 2 ** config.SCRYPT_LOG_N });
  const users = userRepository(db, profiles);
  const revocations = revocationFeed({ url: config.REDIS_URL, commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_S, logger });
  const accounts = {
    users,
    hasher,
    refreshTokens: refreshTokenRepository(db, config.REFRESH_TOKEN_TTL_S, config.REFRESH_REUSE_GRACE_MS),
    revocations,
    throttle: loginThrottleRepository(db, { freeFailures: config.LOGIN_FREE_FAILURES, baseMs: config.LOGIN_BACKOFF_BASE_MS, maxMs: config.LOGIN_BACKOFF_MAX_MS }),
    formatUserId: (id: string) => formatId('user', id),
  };
  const sessions = { ...accounts, tokens, dummyHash: await hasher.hash('timing equalizer for unknown emails') };
  const oauth = { clients: oauthClientRepository(db), tokens, revocations, formatClientId: (id: string) => formatId('oauthClient', id) };
  const apiKeys = { apiKeys: apiKeyRepository(db, keyCache), roleOf: async (userId: string, deadline: number) => (await users.findById(userId, { tokens: [], deadline }))?.role };

  if (config.ADMIN_EMAIL && config.ADMIN_PASSWORD) {
    const outcome = await ensureAdmin({ email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD }, accounts, Date.now() + 10_000);
    if ('admin' in outcome) logger.info({ adminId: formatId('user', outcome.admin.id) }, 'admin account ready');
    // Not fatal: the service serves its users; the operator picks another ADMIN_EMAIL or proves ownership with its password.
    else logger.error('ADMIN_EMAIL belongs to an account whose password is not ADMIN_PASSWORD: it was not made admin');
  }

  // The issuer verifies access tokens against its own keys; other callers prove themselves with service tokens.
  const services = trustedServices(config);
  const auth = {
    ...(services ? { services } : {}),
    users: new AccessTokenVerifier({ issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, maxTokenAgeSeconds: config.ACCESS_TOKEN_TTL_S, fetchJwks: async () => ({ keys: signingKeys.map((k) => k.publicJwk) }) }),
  };

  return serveGrpc({
    config,
    monolith: hosting.monolith,
    auth,
    // Kept answering longest under load: signing in and checking an order's status.
    criticalMethods: ['Login', 'RefreshToken', 'GetJwks', 'VerifyApiKey'],
    logger,
    registry,
    reflection: { protoRoot: PROTO_ROOT, files: [protoFiles.users] },
    register: (server) => {
      server
        .addService(pb.UsersServiceService, usersHandlers(accounts), usersPolicies)
        .addService(pb.AuthServiceService, authHandlers({ ...sessions, ...oauth, jwks: signingKeys.map((k) => k.publicJwk) }), authPolicies)
        .addService(pb.ApiKeysServiceService, apiKeysHandlers({ ...apiKeys, tokens }), apiKeysPolicies)
        .addService(pb.OAuthClientsServiceService, oauthClientsHandlers(oauth), oauthClientsPolicies);
    },
    close: async () => {
      revocations.close();
      await Promise.all([db.end(), store.close()]);
    },
  });
}

