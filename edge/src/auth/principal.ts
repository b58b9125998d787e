export type Principal =
  | { kind: 'user'; userId: string; role: 'user' | 'admin'; scopes: null; key: string }
  | { kind: 'api_key'; userId: string; role: 'user' | 'admin'; scopes: string[]; key: string }
  | { kind: 'client'; clientId: string; role: 'user'; scopes: string[]; key: string };

/** A person's own session may do what their role allows; keys and clients only what their scopes say. */
export function hasScopes(principal: Principal, required: readonly string[]): boolean {
  return principal.scopes === null || required.every((s) => principal.scopes!.includes(s));
}
