export { issueAccessToken, ACCESS_TOKEN_TYP, ALGORITHM, type AccessTokenClaims, type TokenSettings } from './access-tokens';
export { AccessTokenVerifier, type VerifiedToken, type VerifierOptions } from './verifier';
export { loadSigningKeys, generateSigningKey, signingKeysSchema, KID, type SigningKey, type PublicJwk } from './signing-keys';
export { mintSecret, parseSecret, hashSecret, sameHash } from './secrets';
export { USER_SCOPES, ADMIN_SCOPES, ALL_SCOPES, grantableScopes, type Role } from './scopes';
export { REVOCATIONS_TOPIC, revocationKey, sessionField, ALL_FIELD, isRevoked } from './revocations';
export { generateServiceKey, ServiceTokenSigner, ServiceTokenVerifier, SERVICE_TOKEN_TYP, type ServiceKeyPair } from './service-tokens';
