/**
 * The LogtoApiResource API (logto.io/v1alpha1): an API resource of a Logto tenant with its scopes.
 * Single source of the TypeScript types and of the CRD in `crds/`; descriptions are what
 * `kubectl explain` prints.
 */
import { Type, type Static } from '@sinclair/typebox';
import {
  type API_VERSION,
  CONNECTION_REF_IMMUTABLE,
  connectionRefSchema,
  deletionPolicySchema,
  managementPoliciesSchema,
  type ObjectMeta,
} from './logto-application.js';
import { ConditionSchema, ObservedGenerationSchema, celRules } from './schema-helpers.js';

export const API_RESOURCE_KIND = 'LogtoApiResource';
export const API_RESOURCE_PLURAL = 'logtoapiresources';
export const API_RESOURCE_SINGULAR = 'logtoapiresource';

/** Logto's default access token lifetime of an API resource, in seconds. */
export const DEFAULT_ACCESS_TOKEN_TTL = 3600;
/** 30 days. */
export const MAX_ACCESS_TOKEN_TTL = 2_592_000;

/**
 * An absolute URI (scheme:rest) without whitespace or fragment: Logto's token endpoint refuses other
 * indicators, although its Management API stores them.
 */
export const INDICATOR_PATTERN = '^[a-zA-Z][a-zA-Z0-9+.-]*:[^\\s#]+$';
/** Indicators of Logto's own Management API (https://<tenant>.logto.app/api), which Logto protects. */
export const RESERVED_INDICATOR_PATTERN = '^https://[^.]+[.]logto[.]app/api$';

/** A scope (permission) name as Logto accepts it: no whitespace. */
export const scopeName = (description: string) =>
  Type.String({ minLength: 1, maxLength: 256, pattern: '^\\S+$', description });

export const ApiResourceScopeSchema = Type.Object(
  {
    name: scopeName(
      'Name of the scope, e.g. read:orders; what an access token carries in its scope claim. Unique within ' +
        'the API resource; no whitespace.',
    ),
    description: Type.Optional(
      Type.String({
        maxLength: 2048,
        description: 'Description of the scope in Logto (shown on consent screens). Default: none.',
      }),
    ),
  },
  { description: 'A scope (permission) of the API resource.' },
);

export const LogtoApiResourceSpecSchema = Type.Object(
  {
    connectionRef: Type.Optional(connectionRefSchema('API resource')),
    indicator: Type.String({
      minLength: 1,
      maxLength: 2048,
      pattern: INDICATOR_PATTERN,
      description:
        'The API identifier (resource indicator, RFC 8707) that clients ask tokens for, e.g. ' +
        'https://api.example.com: an absolute URI without whitespace and without a fragment (#). Unique ' +
        "within the tenant. Fixed once the resource exists: Logto keeps an API resource's indicator. " +
        "Indicators of Logto's own Management API (https://<tenant>.logto.app/api) are refused.",
      ...celRules({
        rule: `!self.matches('${RESERVED_INDICATOR_PATTERN}')`,
        message:
          "the indicator is reserved for Logto's Management API: Logto refuses to change or delete a " +
          'resource with such an indicator',
      }),
    }),
    name: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        pattern: '\\S',
        description:
          'Display name of the API resource in Logto. Default (applied by the operator, not stored in the ' +
          "spec): the resource's metadata.name. The operator appends its ownership marker " +
          '" [logto-operator:<seal>]" to the name in Logto. A change renames it in Logto.',
      }),
    ),
    accessTokenTtl: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_ACCESS_TOKEN_TTL,
        default: DEFAULT_ACCESS_TOKEN_TTL,
        description:
          `Lifetime of the access tokens issued for this API resource, in seconds (1 to ${MAX_ACCESS_TOKEN_TTL}, ` +
          `30 days). Default ${DEFAULT_ACCESS_TOKEN_TTL}. A change applies to tokens issued afterwards.`,
      }),
    ),
    scopes: Type.Optional(
      Type.Array(ApiResourceScopeSchema, {
        maxItems: 100,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        description:
          'The scopes (permissions) of the API resource, converged to exactly this list: missing ones are ' +
          'created, changed descriptions updated, others deleted. Omitted or []: no scopes. Removing a ' +
          'scope deletes it in Logto, which removes it from every role holding it (also roles of other ' +
          'namespaces granted it by a LogtoGrant, and roles made in the Console) and from the consent ' +
          'scopes of third-party applications.',
      }),
    ),
    deletionPolicy: Type.Optional(
      deletionPolicySchema(
        'What happens to the API resource in Logto when this resource is deleted. Delete (default): it is ' +
          'deleted with its scopes, and Logto removes those scopes from every role that holds them (also ' +
          'roles of other namespaces granted them, and roles made in the Console). Orphan: it stays in ' +
          "Logto without the operator's ownership marker, no longer managed.",
      ),
    ),
    managementPolicies: Type.Optional(
      managementPoliciesSchema(
        'the operator only reads the existing API resource with this indicator and reports it (status: ' +
          'its id and scopes); it never creates, changes or deletes it, and name, accessTokenTtl, scopes ' +
          "and deletionPolicy are not applied. The connection's policy must allow it " +
          '(policy.adoption.apiResourceIndicators).',
      ),
    ),
  },
  {
    description:
      'The desired state of the API resource. With managementPolicies ["*"], an API resource of this ' +
      'indicator that exists without an ownership marker is taken over only when the connection allows ' +
      'it (policy.adoption.apiResourceIndicators); otherwise this resource is refused (indicators are ' +
      'unique per tenant).',
    ...celRules(
      {
        rule: 'self.indicator == oldSelf.indicator',
        message:
          "indicator cannot be changed: Logto keeps an API resource's indicator; declare a new resource instead",
        fieldPath: '.indicator',
      },
      CONNECTION_REF_IMMUTABLE,
    ),
  },
);

/** status.connection of the kinds living in a tenant: where, as the operator recorded it. */
export const statusConnection = (what: string) =>
  Type.String({
    description:
      `The connection the ${what} lives in: "flags" (the operator's flag-configured Logto), ` +
      'ClusterLogtoConnection/<name> or LogtoConnection/<namespace>/<name>. Recorded by the operator, ' +
      `so that the ${what} never moves to another tenant.`,
  });

/** status.conditions of the kinds living in a tenant; `ready` says what Ready means. */
export const statusConditions = (ready: string) =>
  Type.Array(ConditionSchema(), {
    description:
      `Current state. Ready: ${ready} Synced: the last pass converged Logto to the spec (its reason ` +
      'says why not).',
    maxItems: 8,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  });

export const LogtoApiResourceStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(ObservedGenerationSchema()),
    conditions: Type.Optional(
      statusConditions('the API resource exists in Logto with the indicator of the spec.'),
    ),
    resourceId: Type.Optional(Type.String({ description: 'Id of the API resource in Logto.' })),
    connection: Type.Optional(statusConnection('API resource')),
    scopes: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ description: 'Scope name.' }),
            id: Type.String({ description: 'Scope id in Logto.' }),
          },
          { description: 'A scope of the API resource.' },
        ),
        {
          description: 'The scopes of the API resource in Logto, as last converged (or observed).',
          'x-kubernetes-list-type': 'atomic',
        },
      ),
    ),
  },
  { description: 'The observed state of the API resource.' },
);

export type ApiResourceScopeSpec = Static<typeof ApiResourceScopeSchema>;
export type LogtoApiResourceSpec = Static<typeof LogtoApiResourceSpecSchema>;
export type LogtoApiResourceStatus = Static<typeof LogtoApiResourceStatusSchema>;

export interface LogtoApiResource {
  apiVersion: typeof API_VERSION;
  kind: typeof API_RESOURCE_KIND;
  metadata: ObjectMeta;
  spec: LogtoApiResourceSpec;
  status?: LogtoApiResourceStatus;
}
