import { Type, type Static } from '@sinclair/typebox';

/** Management API error body: `code` is stable (e.g. `application.invalid_type`), keep it in logs. */
export const LogtoError = Type.Object({
  code: Type.String(),
  message: Type.String(),
  data: Type.Optional(Type.Unknown()),
});
export type LogtoError = Static<typeof LogtoError>;
