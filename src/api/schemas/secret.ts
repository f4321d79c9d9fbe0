import { Type, type Static } from '@sinclair/typebox';

import { EntityId, Nullable, TenantId } from './common.js';

const SecretName = Type.String({ minLength: 1, maxLength: 256 });

/** A client secret. `GET …/secrets` returns the values; `expiresAt` is epoch milliseconds or null. */
export const ApplicationSecret = Type.Object({
  tenantId: TenantId,
  applicationId: EntityId,
  name: SecretName,
  value: Type.String({ minLength: 1, maxLength: 64 }),
  createdAt: Type.Number(),
  expiresAt: Nullable(Type.Number()),
});
export type ApplicationSecret = Static<typeof ApplicationSecret>;

/** `POST …/secrets`: the name is unique per app; an `expiresAt` in the past is refused. */
export const CreateApplicationSecretRequest = Type.Object({
  name: SecretName,
  expiresAt: Type.Optional(Nullable(Type.Number())),
});
export type CreateApplicationSecretRequest = Static<typeof CreateApplicationSecretRequest>;

/** `PATCH …/secrets/{name}` can only rename. */
export const UpdateApplicationSecretRequest = Type.Object({ name: SecretName });
export type UpdateApplicationSecretRequest = Static<typeof UpdateApplicationSecretRequest>;
