import { HttpProblem } from './problem';

/** RFC 6749 §5.2 error codes the token endpoint answers with. */
export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_scope' | 'unsupported_grant_type';

const STATUS: Record<OAuthErrorCode, number> = { invalid_request: 400, invalid_client: 401, invalid_scope: 400, unsupported_grant_type: 400 };
const TITLE: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized' };

/** A token-endpoint failure: a problem that also carries the OAuth `error` code clients branch on. */
export class OAuthError extends HttpProblem {
  constructor(readonly error: OAuthErrorCode, description: string) {
    super(STATUS[error], TITLE[STATUS[error]]!, description, [], STATUS[error] === 401 ? { 'WWW-Authenticate': 'Basic realm="tessera"' } : {});
  }
}
