/**
 * The LogtoRole API (logto.io/v1alpha1): a MachineToMachine role of a Logto tenant, holding scopes of
 * API resources declared by LogtoApiResources. Single source of the TypeScript types and of the CRD in
 * `crds/`; descriptions are what `kubectl explain` prints.
 */
import { Type, type Static } from '@sinclair/typebox';
import { scopeName, statusConditions, statusConnection } from './logto-api-resource.js';
import {
  type API_VERSION,
  CONNECTION_REF_IMMUTABLE,
  connectionRefSchema,
  deletionPolicySchema,
  managementPoliciesSchema,
  type ObjectMeta,
} from './logto-application.js';
import { ObservedGenerationSchema, celRules } from './schema-helpers.js';

export const ROLE_KIND = 'LogtoRole';
export const ROLE_PLURAL = 'logtoroles';
export const ROLE_SINGULAR = 'logtorole';

/** Logto hides roles whose name starts with this (it never lists them). */
export const INTERNAL_ROLE_PREFIX = '#internal:';
/**
 * The form of a Logto id (21 lowercase letters and digits). spec.roles of a LogtoApplication takes a
 * role's name or id, so a role named so could shadow another role's id: such names are refused.
 */
export const LOGTO_ID_FORM = '^[a-z0-9]{21}$';
/** Logto allows 128 characters; the operator appends its ownership marker to the description. */
export const MAX_ROLE_DESCRIPTION = 90;

/** A Kubernetes object name (DNS subdomain). */
export const OBJECT_NAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** A namespace name (DNS label). */
export const NAMESPACE_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

export const RoleScopesSchema = Type.Object(
  {
    apiResourceRef: Type.Object(
      {
        name: Type.String({
          minLength: 1,
          maxLength: 253,
          pattern: OBJECT_NAME_PATTERN,
          description: 'Name of the LogtoApiResource.',
        }),
        namespace: Type.Optional(
          Type.String({
            minLength: 1,
            maxLength: 63,
            pattern: NAMESPACE_PATTERN,
            description:
              "Namespace of the LogtoApiResource. Default: the role's own. Another namespace's resource is " +
              'usable only while a LogtoGrant in that namespace gives these scopes to this namespace.',
          }),
        ),
      },
      {
        description:
          'The LogtoApiResource whose scopes the role holds. It must live in the same connection (tenant) ' +
          'as the role.',
      },
    ),
    scopes: Type.Array(scopeName('Name of a scope of that API resource (its spec.scopes[].name).'), {
      minItems: 1,
      maxItems: 100,
      'x-kubernetes-list-type': 'set',
      description: 'Scopes of that API resource the role holds, by name.',
    }),
  },
  { description: 'Scopes of one API resource.' },
);

export const LogtoRoleSpecSchema = Type.Object(
  {
    connectionRef: Type.Optional(connectionRefSchema('role')),
    name: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        pattern: '\\S',
        description:
          'Name of the role in Logto, unique within the tenant (case-sensitive): MachineToMachine ' +
          'LogtoApplications name it in spec.roles. Default (applied by the operator, not stored in the spec): ' +
          "the resource's metadata.name. A change renames the role in Logto; applications naming the old " +
          `name then no longer match it. Names starting with "${INTERNAL_ROLE_PREFIX}" are refused (Logto ` +
          'hides such roles), and so are names of 21 lowercase letters and digits, the form of a Logto id ' +
          "(spec.roles would read them as another role's id).",
        ...celRules(
          {
            rule: `!self.startsWith('${INTERNAL_ROLE_PREFIX}')`,
            message: `names starting with "${INTERNAL_ROLE_PREFIX}" are reserved: Logto hides such roles`,
          },
          {
            rule: `!self.matches('${LOGTO_ID_FORM}')`,
            message: 'a name of 21 lowercase letters and digits has the form of a Logto id; choose another',
          },
        ),
      }),
    ),
    description: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_ROLE_DESCRIPTION,
        description:
          `Description of the role in Logto, 1 to ${MAX_ROLE_DESCRIPTION} characters (Logto allows 128; the ` +
          'operator appends its ownership marker " [logto-operator:<seal>]"). Default (applied by the ' +
          "operator): the role's name.",
      }),
    ),
    scopes: Type.Optional(
      Type.Array(RoleScopesSchema, {
        maxItems: 50,
        'x-kubernetes-list-type': 'atomic',
        description:
          'API resource scopes the role holds, converged to exactly this set: missing ones are linked, ' +
          'others unlinked (also those added in the Console). Omitted or []: none. The resources are ' +
          'LogtoApiResources of this namespace, or of another namespace whose LogtoGrant gives the scopes to ' +
          'this one; a scope that is missing or not granted is reported (Synced=False). ' +
          'Applications holding the role get the change in their next tokens.',
      }),
    ),
    deletionPolicy: Type.Optional(
      deletionPolicySchema(
        'What happens to the role in Logto when this resource is deleted. Delete (default): it is deleted, ' +
          'and Logto removes it from every application holding it (their next tokens lack its scopes). ' +
          "Orphan: it stays in Logto, with its scopes and applications, without the operator's ownership " +
          'marker, no longer managed.',
      ),
    ),
    managementPolicies: Type.Optional(
      managementPoliciesSchema(
        'the operator only reads the existing role of that name and reports it (status: its id and ' +
          'scopes); it never creates, changes or deletes it, and description, scopes and deletionPolicy ' +
          "are not applied. The connection's policy must allow it (policy.adoption.roleNames).",
      ),
    ),
  },
  {
    description:
      'The desired state of the role: a MachineToMachine role. With managementPolicies ["*"], a role of ' +
      'this name that exists without an ownership marker is taken over only when the connection allows it ' +
      '(policy.adoption.roleNames); otherwise this resource is refused (role names are unique per tenant).',
    ...celRules(CONNECTION_REF_IMMUTABLE),
  },
);

export const LogtoRoleStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(ObservedGenerationSchema()),
    conditions: Type.Optional(statusConditions('the role exists in Logto.')),
    roleId: Type.Optional(Type.String({ description: 'Id of the role in Logto.' })),
    name: Type.Optional(
      Type.String({ description: 'Name of the role in Logto, as last converged (what spec.roles names).' }),
    ),
    connection: Type.Optional(statusConnection('role')),
    scopes: Type.Optional(
      Type.Array(
        Type.Object(
          {
            resource: Type.String({ description: 'Indicator of the API resource.' }),
            name: Type.String({ description: 'Scope name.' }),
            id: Type.String({ description: 'Scope id in Logto.' }),
          },
          { description: 'A scope the role holds.' },
        ),
        {
          description: 'The scopes the role holds in Logto, as last converged (or observed).',
          'x-kubernetes-list-type': 'atomic',
        },
      ),
    ),
  },
  { description: 'The observed state of the role.' },
);

export type RoleScopesSpec = Static<typeof RoleScopesSchema>;
export type LogtoRoleSpec = Static<typeof LogtoRoleSpecSchema>;
export type LogtoRoleStatus = Static<typeof LogtoRoleStatusSchema>;

export interface LogtoRole {
  apiVersion: typeof API_VERSION;
  kind: typeof ROLE_KIND;
  metadata: ObjectMeta;
  spec: LogtoRoleSpec;
  status?: LogtoRoleStatus;
}
