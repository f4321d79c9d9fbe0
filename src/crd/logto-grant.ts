/**
 * The LogtoGrant API (logto.io/v1alpha1), like Gateway API's ReferenceGrant: it lives in the namespace
 * that owns LogtoRoles and LogtoApiResources, and lets other namespaces use some of them. Single source
 * of the TypeScript types and of the CRD in `crds/`; descriptions are what `kubectl explain` prints.
 */
import { Type, type Static } from '@sinclair/typebox';
import { API_RESOURCE_KIND, scopeName } from './logto-api-resource.js';
import type { API_VERSION, ObjectMeta } from './logto-application.js';
import { NAMESPACE_PATTERN, OBJECT_NAME_PATTERN, ROLE_KIND } from './logto-role.js';
import { StringEnum, celRules } from './schema-helpers.js';

export const GRANT_KIND = 'LogtoGrant';
export const GRANT_PLURAL = 'logtogrants';
export const GRANT_SINGULAR = 'logtogrant';

/** The kinds a LogtoGrant may name in spec.to. */
export const GRANTABLE_KINDS = [ROLE_KIND, API_RESOURCE_KIND] as const;
export type GrantableKind = (typeof GRANTABLE_KINDS)[number];

export const GrantFromSchema = Type.Object(
  {
    namespace: Type.String({
      minLength: 1,
      maxLength: 63,
      pattern: NAMESPACE_PATTERN,
      description: 'A namespace allowed to use what spec.to names. No wildcard: one namespace per entry.',
    }),
  },
  { description: 'A namespace the grant is for.' },
);

export const GrantToSchema = Type.Object(
  {
    kind: StringEnum(GRANTABLE_KINDS, {
      description:
        'LogtoRole: the namespaces in spec.from may give the role to their MachineToMachine ' +
        "LogtoApplications (spec.roles naming the role's Logto name). LogtoApiResource: they may name its " +
        "scopes in their LogtoRoles' spec.scopes and as consent scopes of their third-party " +
        'LogtoApplications (spec.userConsentScopes.resourceScopes and organizationResourceScopes, resource: ' +
        'the indicator).',
    }),
    name: Type.String({
      minLength: 1,
      maxLength: 253,
      pattern: OBJECT_NAME_PATTERN,
      description: 'Name of the LogtoRole or LogtoApiResource in the namespace of this grant.',
    }),
    scopes: Type.Optional(
      Type.Array(scopeName('Name of a scope of the API resource.'), {
        minItems: 1,
        maxItems: 100,
        'x-kubernetes-list-type': 'set',
        description:
          'Only for kind LogtoApiResource: the scopes granted, by name. Omitted: every scope of the API ' +
          'resource, including scopes added later.',
      }),
    ),
  },
  {
    description:
      'A LogtoRole or LogtoApiResource of this namespace that the namespaces in spec.from may use.',
    ...celRules({
      rule: "!has(self.scopes) || self.kind == 'LogtoApiResource'",
      message: 'scopes are only allowed for kind LogtoApiResource',
      fieldPath: '.scopes',
    }),
  },
);

export const LogtoGrantSpecSchema = Type.Object(
  {
    from: Type.Array(GrantFromSchema, {
      minItems: 1,
      maxItems: 100,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['namespace'],
      description: 'The namespaces that may use what spec.to names.',
    }),
    to: Type.Array(GrantToSchema, {
      minItems: 1,
      maxItems: 100,
      'x-kubernetes-list-type': 'atomic',
      description: 'The LogtoRoles and LogtoApiResources (of this namespace) they may use.',
    }),
  },
  {
    description:
      'Which namespaces may use which LogtoRoles and LogtoApiResource scopes of this namespace. Only what ' +
      'the grants of a namespace name is usable from elsewhere; several grants add up. A change applies ' +
      'at the next pass of the resources using them: removing a grant (or an entry) takes the role or the ' +
      "scopes away from the other namespaces' applications and roles.",
  },
);

export type GrantFromSpec = Static<typeof GrantFromSchema>;
export type GrantToSpec = Static<typeof GrantToSchema>;
export type LogtoGrantSpec = Static<typeof LogtoGrantSpecSchema>;

export interface LogtoGrant {
  apiVersion: typeof API_VERSION;
  kind: typeof GRANT_KIND;
  metadata: ObjectMeta;
  spec: LogtoGrantSpec;
}
