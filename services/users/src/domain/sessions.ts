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
  issue(claims: { sub: string; role: Role; scope: string; clientId?: string }): Promise<string>;
}

export type RefreshOutcome =
  | { kind: 'rotated'; userId: string; refreshToken: string }
  | { kind: 'reused'; familyId: string }
  | { kind: 'invalid' };

export interface RefreshTokenRepository {
  /** Starts a new family for a login; returns the plaintext refresh token (stored only hashed). */
  create(userId: string, deadline: number): Promise<string>;
  /** Spends a refresh token and issues its successor; a spent token presented again revokes its family. */
  rotate(refreshToken: string, deadline: number): Promise<RefreshOutcome>;
  /** Revokes the family of this token; silently does nothing for unknown tokens. */
  revokeFamily(refreshToken: string, deadline: number): Promise<void>;
}

export interface SessionDeps {
  users: UserRepository;
  hasher: PasswordHasher;
  refreshTokens: RefreshTokenRepository;
  tokens: AccessTokenIssuer;
  /** A valid hash of nothing in particular: verified against for unknown emails, so timing does not reveal which emails exist. */
  dummyHash: string;
  formatUserId: (id: string) => string;
}

const BAD_CREDENTIALS = () => AppError.unauthenticated('wrong email or password');

export async function login(input: { email: string; password: string }, deps: SessionDeps, deadline: number): Promise<{ user: User; tokens: TokenPair }> {
  if (input.password.length > 1_024 || input.email.length > 320) throw BAD_CREDENTIALS();
  const user = await deps.users.findByEmail(normalizeEmail(input.email), deadline);
  const ok = await deps.hasher.verify(input.password, user?.passwordHash ?? deps.dummyHash);
  if (!user || !ok) throw BAD_CREDENTIALS();
  const { passwordHash: _hash, ...plain } = user;
  return { user: plain, tokens: await issuePair(plain, await deps.refreshTokens.create(user.id, deadline), deps) };
}

export async function refresh(refreshToken: string, deps: SessionDeps, deadline: number): Promise<TokenPair> {
  const outcome = await deps.refreshTokens.rotate(refreshToken, deadline);
  if (outcome.kind !== 'rotated') throw AppError.unauthenticated('invalid refresh token');
  const user = await deps.users.findById(outcome.userId, { tokens: [], deadline });
  if (!user) throw AppError.unauthenticated('invalid refresh token');
  return issuePair(user, outcome.refreshToken, deps);
}

export function logout(refreshToken: string, deps: SessionDeps, deadline: number): Promise<void> {
  return deps.refreshTokens.revokeFamily(refreshToken, deadline);
}

async function issuePair(user: User, refreshToken: string, deps: SessionDeps): Promise<TokenPair> {
  const accessToken = await deps.tokens.issue({ sub: deps.formatUserId(user.id), role: user.role, scope: '' });
  return { accessToken, refreshToken, expiresIn: deps.tokens.ttlSeconds, scope: '' };
}
