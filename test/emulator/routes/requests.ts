// Request bodies where the server's guard differs from the schemas the operator sends with
// (src/api): the emulator must accept and refuse what the server does (BEHAVIOUR.md, "Applications").
import { Type, type TSchema } from '@sinclair/typebox';

import type { OperationName } from '../../../src/api/operations.js';
import {
  ApplicationType,
  CreateApplicationRequest,
  CustomClientMetadata,
  UpdateApplicationRequest,
  UserConsentOrganizationsRequest,
} from '../../../src/api/schemas.js';

/** `refreshTokenTtlInDays` is an integer of 1–730 days for the server (0 and 1000 are a 400). */
const ServerCustomClientMetadata = Type.Object({
  ...CustomClientMetadata.properties,
  refreshTokenTtlInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 730 })),
});

export const serverRequests: Partial<Record<OperationName, TSchema>> = {
  // The guard takes every type, SAML included; the route refuses SAML itself (400).
  create_application: Type.Object({
    ...CreateApplicationRequest.properties,
    type: ApplicationType,
    customClientMetadata: Type.Optional(ServerCustomClientMetadata),
  }),
  update_application: Type.Object({
    ...UpdateApplicationRequest.properties,
    customClientMetadata: Type.Optional(ServerCustomClientMetadata),
  }),
  // The guard of POST refuses an empty list (400), unlike PUT's (BEHAVIOUR.md, "User consent").
  create_application_user_consent_organization: Type.Object({
    organizationIds: Type.Array(UserConsentOrganizationsRequest.properties.organizationIds.items, {
      minItems: 1,
    }),
  }),
};
