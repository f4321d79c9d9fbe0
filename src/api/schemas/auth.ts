import { Type, type Static } from '@sinclair/typebox';

// Kept here for the modules that import them from the schemas (they live in management-api.ts).
export { defaultManagementApiIndicator, managementApiAccessRoleName } from '../management-api.js';

/** Answer of `POST /oidc/token` (client credentials). `scope` is absent when the token has none. */
export const TokenResponse = Type.Object({
  access_token: Type.String({ minLength: 1 }),
  expires_in: Type.Integer({ minimum: 1 }),
  token_type: Type.Literal('Bearer'),
  scope: Type.Optional(Type.String()),
});
export type TokenResponse = Static<typeof TokenResponse>;

/** OAuth 2.0 error body of the token endpoint (`invalid_client`, `invalid_target`, …). */
export const OAuthError = Type.Object({
  error: Type.String(),
  error_description: Type.Optional(Type.String()),
});
export type OAuthError = Static<typeof OAuthError>;
