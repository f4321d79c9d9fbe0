import { Type, type Static } from '@sinclair/typebox';

/** The OSS resource indicator of the Management API; Logto Cloud uses `https://<tenant>.logto.app/api`. */
export const defaultManagementApiIndicator = 'https://default.logto.app/api';

/** The role that grants a machine-to-machine app the Management API scope `all`. */
export const managementApiAccessRoleName = 'Logto Management API access';

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
