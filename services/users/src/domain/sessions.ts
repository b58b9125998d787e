import { AppError } from '@tessera/errors';
import type { Role } from '@tessera/auth';
import type { PasswordHasher, User, UserRepository } from './user';
import { normalizeEmail } from './validation';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  scope: string;
}

/** Issues signed access tokens (see data-access/token-issuer.ts). */
export interface AccessTokenIssuer {
  ttlSeconds: number;
  /** Signs an access token; `ttlSeconds` shortens it below the configured lifetime. */
  issue(claims: { sub: string; role: Role; scope: string; clientId?: string; sessionId?: string; keyId?: string }, ttlSeconds?: number): Promise<string>;
}

export type RefreshOutcome =
  | { kind: 'rotated'; userId: string; familyId: string; refreshToken: string }
  | { kind: 'reused'; userId: string; familyId: string }
  | { kind: 'invalid' };

export interface RefreshTokenRepository {
  /** Starts a new family (a session) for a login; returns the plaintext refresh token (stored only hashed) and the family id. */
  create(userId: string, deadline: number): Promise<{ refreshToken: string; familyId: string }>;
  /** Spends a refresh token and issues its successor; a spent token presented again revokes its family. */
  rotate(refreshToken: string, deadline: number): Promise<RefreshOutcome>;
  /** Revokes the family of this token and returns the token's owner and family; undefined (and nothing done) for unknown tokens. */
  revokeFamily(refreshToken: string, deadline: number): Promise<{ userId: string; familyId: string } | undefined>;
  /** Revokes every live family of a user (email change, deletion); returns their ids. */
  revokeAllOf(userId: string, deadline: number): Promise<string[]>;
}

/** Tells access-token verifiers that sessions ended (see data-access/revocation-feed.ts). */
export interface Revocations {
  /** `subject` is the token `sub` ("usr_…", "cli_…"): some of its sessions ended, or all of its tokens issued until now. */
  ended(subject: string, what: { sessions: string[] } | { all: true }): Promise<void>;
}

/** Failed logins per account (see data-access/login-throttle-repository.ts). */
export interface LoginThrottle {
  check(email: string, deadline: number): Promise<{ failures: number; retryAfterMs: number }>;
  failed(email: string, deadline: number): Promise<void>;
  succeeded(email: string, deadline: number): Promise<void>;
}

export interface SessionDeps {
  users: UserRepository;
  hasher: PasswordHasher;
  refreshTokens: RefreshTokenRepository;
  tokens: AccessTokenIssuer;
  throttle: LoginThrottle;
  revocations: Revocations;
  /** A valid hash of nothing in particular: verified against for unknown emails, so timing does not reveal which emails exist. */
  dummyHash: string;
  formatUserId: (id: string) => string;
}

const BAD_CREDENTIALS = () => AppError.unauthenticated('wrong email or password');

export async function login(input: { email: string; password: string }, deps: SessionDeps, deadline: number): Promise<{ user: User; tokens: TokenPair }> {
  if (input.password.length > 1_024 || input.email.length > 320) throw BAD_CREDENTIALS();
  const email = normalizeEmail(input.email);
  // Per account, whatever address the attempts come from; checked before the
  // (deliberately slow) password hash, so a locked account costs no CPU.
  const throttle = await deps.throttle.check(email, deadline);
  if (throttle.retryAfterMs > 0) throw AppError.resourceExhausted('too many failed logins for this account; retry later', throttle.retryAfterMs);
  const user = await deps.users.findByEmail(email, deadline);
  const ok = await deps.hasher.verify(input.password, user?.passwordHash ?? deps.dummyHash);
  if (!user || !ok) {
    await deps.throttle.failed(email, deadline);
    throw BAD_CREDENTIALS();
  }
  if (throttle.failures > 0) await deps.throttle.succeeded(email, deadline);
  const { passwordHash: _hash, ...plain } = user;
  const session = await deps.refreshTokens.create(user.id, deadline);
  return { user: plain, tokens: await issuePair(plain, session, deps) };
}

export async function refresh(refreshToken: string, deps: SessionDeps, deadline: number): Promise<TokenPair> {
  const outcome = await deps.refreshTokens.rotate(refreshToken, deadline);
  // Reuse of a spent token: its family is revoked; its access tokens must die too.
  if (outcome.kind === 'reused') await endSessions(outcome.userId, [outcome.familyId], deps);
  if (outcome.kind !== 'rotated') throw AppError.unauthenticated('invalid refresh token');
  const user = await deps.users.findById(outcome.userId, { tokens: [], deadline });
  if (!user) throw AppError.unauthenticated('invalid refresh token');
  return issuePair(user, outcome, deps);
}

/** Ends the session of this refresh token: the token family in Postgres, and its access tokens at every verifier. */
export async function logout(refreshToken: string, deps: SessionDeps, deadline: number): Promise<void> {
  const ended = await deps.refreshTokens.revokeFamily(refreshToken, deadline);
  if (ended) await endSessions(ended.userId, [ended.familyId], deps);
}

/** Ends every session of a user (their email changed, or the account is going). */
export async function endAllSessions(userId: string, deps: Pick<SessionDeps, 'refreshTokens' | 'revocations' | 'formatUserId'>, deadline: number): Promise<void> {
  await endSessions(userId, await deps.refreshTokens.revokeAllOf(userId, deadline), deps);
}

function endSessions(userId: string, familyIds: string[], deps: Pick<SessionDeps, 'revocations' | 'formatUserId'>): Promise<void> {
  return familyIds.length ? deps.revocations.ended(deps.formatUserId(userId), { sessions: familyIds }) : Promise.resolve();
}

async function issuePair(user: User, session: { refreshToken: string; familyId: string }, deps: SessionDeps): Promise<TokenPair> {
  const accessToken = await deps.tokens.issue({ sub: deps.formatUserId(user.id), role: user.role, scope: '', sessionId: session.familyId });
  return { accessToken, refreshToken: session.refreshToken, expiresIn: deps.tokens.ttlSeconds, scope: '' };
}
