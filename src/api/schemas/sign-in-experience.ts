import { Type, type Static } from '@sinclair/typebox';

import { Branding, Color, EntityId, Nullable, TenantId } from './common.js';

/** A URL, `''` (cleared) or null. */
const OptionalUrl = Type.Union([
  Type.String({ format: 'url', maxLength: 2048 }),
  Type.Literal(''),
  Type.Null(),
]);

/**
 * `PUT …/sign-in-experience`: creates (201) or updates (200) the app-level sign-in experience, as a
 * partial upsert: a field left out keeps its stored value. No field is required (the document's
 * `required` list is wrong, BEHAVIOUR.md).
 */
export const ReplaceApplicationSignInExperienceRequest = Type.Object({
  color: Type.Optional(Color),
  branding: Type.Optional(Branding),
  customCss: Type.Optional(Nullable(Type.String())),
  displayName: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
  termsOfUseUrl: Type.Optional(OptionalUrl),
  privacyPolicyUrl: Type.Optional(OptionalUrl),
});
export type ReplaceApplicationSignInExperienceRequest = Static<
  typeof ReplaceApplicationSignInExperienceRequest
>;

export const ApplicationSignInExperience = Type.Object({
  tenantId: TenantId,
  applicationId: EntityId,
  color: Color,
  branding: Branding,
  customCss: Nullable(Type.String()),
  termsOfUseUrl: Nullable(Type.String({ maxLength: 2048 })),
  privacyPolicyUrl: Nullable(Type.String({ maxLength: 2048 })),
  displayName: Nullable(Type.String({ maxLength: 256 })),
});
export type ApplicationSignInExperience = Static<typeof ApplicationSignInExperience>;
