/**
 * Who a request acts for. `bearer` is the access token the services verify
 * on each call made for it: the request's own token, or for an API key the
 * short-lived one the users service signed for the key's principal.
 */
export type Principal =
  | { kind: 'user'; userId: string; role: 'user' | 'admin'; scopes: null; key: string; bearer: string }
  | { kind: 'api_key'; userId: string; role: 'user' | 'admin'; scopes: string[]; key: string; bearer: string }
  | { kind: 'client'; clientId: string; role: 'user'; scopes: string[]; key: string; bearer: string };

/** A person's own session may do what their role allows; keys and clients only what their scopes say. */
export function hasScopes(principal: Principal, required: readonly string[]): boolean {
  return principal.scopes === null || required.every((s) => principal.scopes!.includes(s));
}
