import { problem, type HttpProblem } from '../errors/problem';
import type { Route } from '../routes/route';
import { hasScopes, type Principal } from './principal';

export type AccessRule = Pick<Route, 'access' | 'scopes' | 'allowClients' | 'sessionOnly'>;

/**
 * May this principal call a route with this rule? Undefined when it may; the
 * problem to answer when it may not (401 without credentials, 403 otherwise).
 * Object-level checks (whose order is it) happen in the services.
 */
export function authorize(rule: AccessRule, principal: Principal | undefined): HttpProblem | undefined {
  if (rule.access === 'public') return undefined;
  if (!principal) return problem(401, 'authentication required', [], { 'WWW-Authenticate': 'Bearer' });
  if (principal.kind === 'client' && !rule.allowClients) return problem(403, 'machine clients cannot call this route');
  if (rule.sessionOnly && principal.kind !== 'user') return problem(403, 'this route needs a signed-in user, not an API key');
  // OAuth clients reach admin routes only where the route admits them, and then by scope alone.
  if (rule.access === 'admin' && principal.role !== 'admin' && principal.kind !== 'client') return problem(403, 'admin only');
  if (!hasScopes(principal, rule.scopes)) return problem(403, `missing scope: ${rule.scopes.join(' ')}`);
  return undefined;
}
