import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import type { Principal } from '../auth/principal';
import { problem, sendProblem } from '../errors/problem';

export interface LimitSettings {
  windowMs: number;
  anonymous: number;
  user: number;
  apiKey: number;
  auth: number;
  /** A store per limiter (express-rate-limit wants them apart); undefined: in-process memory. */
  store: (name: string) => Store | undefined;
}

type Locals = { principal?: Principal; requestId: string };

/**
 * Quotas: anonymous callers per client IP, everyone else per principal (user,
 * API key or OAuth client). Fail-open: if the shared store is down, requests
 * pass (availability first; the ingress still enforces its coarse per-IP
 * limit). Headers follow the IETF RateLimit draft; 429s carry Retry-After.
 */
export function quotaLimiter(settings: LimitSettings): RequestHandler {
  const limitFor = (req: Request) => {
    const principal = (req.res!.locals as Locals).principal;
    if (!principal) return settings.anonymous;
    return principal.kind === 'user' ? settings.user : settings.apiKey;
  };
  return rateLimit({
    windowMs: settings.windowMs,
    limit: limitFor,
    // IPv6 clients are keyed by their /56, so rotating addresses within one allocation does not dodge the limit.
    keyGenerator: (req) => (req.res!.locals as Locals).principal?.key ?? `ip:${ipKeyGenerator(req.ip ?? '')}`,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    passOnStoreError: true,
    ...(settings.store('quota') ? { store: settings.store('quota')! } : {}),
    handler: (req, res) => sendProblem(res, problem(429, 'rate limit exceeded; see the RateLimit and Retry-After headers'), (res.locals as Locals).requestId),
    // trust proxy is configured on the app (TRUST_PROXY).
    validate: { trustProxy: false, xForwardedForHeader: false },
  });
}

/** Login, token and registration endpoints: per client IP, strict, whoever the caller claims to be. */
export function authLimiter(settings: LimitSettings): RequestHandler {
  return rateLimit({
    windowMs: settings.windowMs,
    limit: settings.auth,
    keyGenerator: (req) => `auth-ip:${ipKeyGenerator(req.ip ?? '')}`,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    passOnStoreError: true,
    ...(settings.store('auth') ? { store: settings.store('auth')! } : {}),
    handler: (req, res) => sendProblem(res, problem(429, 'too many attempts; see the Retry-After header'), (res.locals as Locals).requestId),
    validate: { trustProxy: false, xForwardedForHeader: false },
  });
}
