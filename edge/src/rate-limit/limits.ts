import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import { problem, sendProblem } from '../errors/problem';
import { requestContext } from '../http/request-context';

export interface LimitSettings {
  windowMs: number;
  anonymous: number;
  user: number;
  apiKey: number;
  auth: number;
  /** A store per limiter (express-rate-limit wants them apart); undefined: in-process memory. */
  store: (name: string) => Store | undefined;
}

/** What both limiters share: the window, draft-8 headers, 429 as a problem, and fail-open on store errors. */
function common(settings: LimitSettings, name: string, detail: string) {
  const store = settings.store(name);
  return {
    windowMs: settings.windowMs,
    standardHeaders: 'draft-8' as const,
    legacyHeaders: false,
    passOnStoreError: true,
    ...(store ? { store } : {}),
    handler: (_req: Request, res: Response) => sendProblem(res, problem(429, detail), requestContext(res).requestId),
    // trust proxy is configured on the app (TRUST_PROXY).
    validate: { trustProxy: false, xForwardedForHeader: false },
  };
}

/**
 * Quotas: anonymous callers per client IP, everyone else per principal (user,
 * API key or OAuth client). Fail-open: if the shared store is down, requests
 * pass (availability first; the ingress still enforces its coarse per-IP
 * limit). Headers follow the IETF RateLimit draft; 429s carry Retry-After.
 */
export function quotaLimiter(settings: LimitSettings): RequestHandler {
  const limitFor = (req: Request) => {
    const principal = requestContext(req.res!).principal;
    if (!principal) return settings.anonymous;
    return principal.kind === 'user' ? settings.user : settings.apiKey;
  };
  return rateLimit({
    ...common(settings, 'quota', 'rate limit exceeded; see the RateLimit and Retry-After headers'),
    limit: limitFor,
    // IPv6 clients are keyed by their /56, so rotating addresses within one allocation does not dodge the limit.
    keyGenerator: (req) => requestContext(req.res!).principal?.key ?? `ip:${ipKeyGenerator(req.ip ?? '')}`,
  });
}

/** Login, token and registration endpoints: per client IP, strict, whoever the caller claims to be. */
export function authLimiter(settings: LimitSettings): RequestHandler {
  return rateLimit({
    ...common(settings, 'auth', 'too many attempts; see the Retry-After header'),
    limit: settings.auth,
    keyGenerator: (req) => `auth-ip:${ipKeyGenerator(req.ip ?? '')}`,
  });
}
