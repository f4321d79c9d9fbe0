/**
 * The connection APIs (logto.io/v1alpha1): `ClusterLogtoConnection` (cluster-scoped) and
 * `LogtoConnection` (namespaced) say which Logto tenant an application lives in, with which
 * credentials, and what may be done through them (the policy). Single source of the TypeScript
 * types and of the CRDs in `crds/`; descriptions are what `kubectl explain` prints.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { APPLICATION_TYPES } from './logto-application.js';
import { ConditionSchema, StringEnum, celRules } from './schema-helpers.js';

/** 1ms to 60000ms, 1s to 60s, or 1m: a request timeout of at most a minute. */
export const REQUEST_TIMEOUT_PATTERN =
  '^([1-9][0-9]{0,3}ms|[1-5][0-9]{4}ms|60000ms|([1-9]|[1-5][0-9]|60)s|1m)$';

export const CLUSTER_CONNECTION_KIND = 'ClusterLogtoConnection';
export const CLUSTER_CONNECTION_PLURAL = 'clusterlogtoconnections';
export const CONNECTION_KIND = 'LogtoConnection';
export const CONNECTION_PLURAL = 'logtoconnections';
export const CONNECTION_KINDS = [CLUSTER_CONNECTION_KIND, CONNECTION_KIND] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];

/** Marks the ClusterLogtoConnection used by applications without `spec.connectionRef` (like StorageClass). */
export const DEFAULT_CONNECTION_ANNOTATION = 'logto.io/is-default-connection';
export const DEFAULT_MANAGEMENT_API_RESOURCE = 'https://default.logto.app/api';

const isWebUrl = (v: string) => `(${v}.startsWith('https://') || ${v}.startsWith('http://')) && isURL(${v})`;
const webUrl = (description: string) =>
  Type.String({
    minLength: 1,
    maxLength: 2048,
    description,
    ...celRules({ rule: isWebUrl('self'), message: 'must be an http(s) URL' }),
  });
const objectName = (description: string) =>
  Type.String({ minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', description });
const keyName = (description: string, fallback: string) =>
  Type.String({
    minLength: 1,
    maxLength: 253,
    pattern: '^[-._a-zA-Z0-9]+$',
    default: fallback,
    description: `${description} Default: ${fallback}.`,
  });
const bounded = <T extends TSchema>(item: T, description: string, maxItems = 100) =>
  Type.Array(item, { description, maxItems, 'x-kubernetes-list-type': 'set' });

/** A Kubernetes label selector (metav1.LabelSelector). */
export const LabelSelectorSchema = Type.Object(
  {
    matchLabels: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description: 'Labels a namespace must carry, with these values.',
      }),
    ),
    matchExpressions: Type.Optional(
      Type.Array(
        Type.Object(
          {
            key: Type.String({ minLength: 1, maxLength: 317, description: 'The label key.' }),
            operator: StringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist'] as const, {
              description: 'In, NotIn, Exists or DoesNotExist.',
            }),
            values: Type.Optional(
              Type.Array(Type.String({ maxLength: 63 }), {
                description: 'Values for In and NotIn; empty for Exists and DoesNotExist.',
                maxItems: 100,
              }),
            ),
          },
          { description: 'A label requirement.' },
        ),
        { description: 'Label requirements, all of which must hold.', maxItems: 20 },
      ),
    ),
  },
  {
    description:
      'Namespaces (by their labels) whose LogtoApplications may use this connection. Omitted: every ' +
      'namespace; {} also matches every namespace.',
  },
);

const RolesPolicySchema = Type.Object(
  {
    allowManagementApiRoles: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Allow roles that carry any scope of the Management API resource (such as the built-in "Logto ' +
          'Management API access"). Such a role administers the whole tenant; default false.',
      }),
    ),
    allowed: Type.Optional(
      bounded(
        Type.String({ minLength: 1, maxLength: 256, description: 'A role name or id.' }),
        'Roles that no LogtoRole of this cluster declares (made in the Console or by another cluster) ' +
          'that applications may hold, by name or id. Omitted or empty: none. Roles declared by LogtoRoles ' +
          "need no entry: an application may hold those of its own namespace and those another namespace's " +
          'LogtoGrant gives it. Earlier versions allowed any role without Management API scopes when this ' +
          'was omitted; to keep such roles usable, list them here.',
      ),
    ),
  },
  {
    description:
      'Which API resource roles MachineToMachine applications may be given (spec.roles): roles declared by ' +
      'LogtoRoles of their namespace or granted to it, and the roles listed in allowed.',
  },
);

const ConsentScopesPolicySchema = Type.Object(
  {
    resources: Type.Optional(
      Type.Array(
        Type.Object(
          {
            indicator: Type.String({
              minLength: 1,
              maxLength: 2048,
              description: 'Indicator of the API resource, e.g. https://api.example.com.',
            }),
            scopes: Type.Optional(
              Type.Array(Type.String({ minLength: 1, maxLength: 256, description: 'A scope name.' }), {
                description: 'Its scopes that may be asked for, by name. Omitted: all of them.',
                minItems: 1,
                maxItems: 100,
                'x-kubernetes-list-type': 'set',
              }),
            ),
          },
          { description: 'Scopes of one API resource.' },
        ),
        {
          description:
            'API resource scopes that no LogtoApiResource of this cluster declares that third-party ' +
            'applications may ask consent for (spec.userConsentScopes.resourceScopes and ' +
            'organizationResourceScopes). Omitted: none.',
          maxItems: 100,
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['indicator'],
        },
      ),
    ),
    organizationScopes: Type.Optional(
      bounded(
        Type.String({ minLength: 1, maxLength: 256, description: 'An organization scope name.' }),
        'Organization scopes third-party applications may ask consent for ' +
          '(spec.userConsentScopes.organizationScopes), by name. Omitted: none.',
      ),
    ),
  },
  {
    description:
      'Consent scopes of third-party applications besides those of LogtoApiResources of their namespace ' +
      '(or granted to it by a LogtoGrant): API resource scopes and organization scopes that no ' +
      'LogtoApiResource of this cluster declares. Omitted: none.',
  },
);

const AdoptionPolicySchema = Type.Object(
  {
    applicationIds: Type.Optional(
      bounded(
        Type.String({ minLength: 1, maxLength: 21, description: 'A Logto application id.' }),
        'Ids of existing Logto applications that may be adopted.',
      ),
    ),
    namePatterns: Type.Optional(
      bounded(
        Type.String({ minLength: 1, maxLength: 256, description: 'A name pattern; * matches any text.' }),
        'Names of existing Logto applications that may be adopted; * matches any text ("*" allows every name).',
      ),
    ),
    allowManagementApiApplications: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Allow adopting (or finding by marker) an application that holds Management API roles or is an ' +
          'admin application (isAdmin). Default false.',
      }),
    ),
    roleNames: Type.Optional(
      bounded(
        Type.String({
          minLength: 1,
          maxLength: 256,
          description: 'A role name pattern; * matches any text.',
        }),
        'Names of existing roles, not declared by a LogtoRole of this cluster, that a LogtoRole of the same ' +
          'name may take over or observe (managementPolicies ["Observe"]); * matches any text. Default: none.',
      ),
    ),
    apiResourceIndicators: Type.Optional(
      bounded(
        Type.String({
          minLength: 1,
          maxLength: 2048,
          description: 'An indicator pattern; * matches any text.',
        }),
        'Indicators of existing API resources, not declared by a LogtoApiResource of this cluster, that a ' +
          'LogtoApiResource of the same indicator may take over or observe (managementPolicies ' +
          '["Observe"]); * matches any text. Default: none.',
      ),
    ),
  },
  {
    description:
      'Which existing Logto objects may be taken over or observed: applications (spec.adoptApplicationId ' +
      'of a LogtoApplication), roles (LogtoRole) and API resources (LogtoApiResource). Off unless an id or ' +
      "a pattern matches; the connection's own application is never adopted.",
  },
);

const ApplicationsPolicySchema = Type.Object(
  {
    allowedTypes: Type.Optional(
      Type.Array(StringEnum(APPLICATION_TYPES, { description: 'An application type.' }), {
        description: 'Application types that may be declared. Omitted: every type.',
        maxItems: APPLICATION_TYPES.length,
        'x-kubernetes-list-type': 'set',
      }),
    ),
    allowThirdParty: Type.Optional(
      Type.Boolean({
        default: true,
        description: 'Whether third-party applications (isThirdParty: true) may be declared. Default true.',
      }),
    ),
  },
  { description: 'Which applications may be declared through this connection.' },
);

const policyFields = {
  roles: Type.Optional(RolesPolicySchema),
  consentScopes: Type.Optional(ConsentScopesPolicySchema),
  adoption: Type.Optional(AdoptionPolicySchema),
  applications: Type.Optional(ApplicationsPolicySchema),
};
const POLICY_DESCRIPTION =
  'What LogtoApplications, LogtoRoles and LogtoApiResources may do through this connection. Secure by ' +
  'default: no Management API roles, no adoption, no roles or consent scopes but those declared in this ' +
  'cluster. A refusal is Ready=False with reason PolicyDenied and no Logto write.';

export const ClusterConnectionPolicySchema = Type.Object(
  { namespaceSelector: Type.Optional(LabelSelectorSchema), ...policyFields },
  { description: POLICY_DESCRIPTION },
);
export const ConnectionPolicySchema = Type.Object(policyFields, { description: POLICY_DESCRIPTION });

const caBundle = (namespaced: boolean) =>
  Type.Object(
    {
      secretRef: Type.Optional(
        Type.Object(
          {
            name: objectName('Name of the Secret.'),
            ...(namespaced ? {} : { namespace: objectName('Namespace of the Secret.') }),
            key: keyName('Key holding the PEM certificates.', 'ca.crt'),
          },
          { description: 'A Secret holding the CA certificates.' },
        ),
      ),
      configMapRef: Type.Optional(
        Type.Object(
          {
            name: objectName('Name of the ConfigMap.'),
            ...(namespaced ? {} : { namespace: objectName('Namespace of the ConfigMap.') }),
            key: keyName('Key holding the PEM certificates.', 'ca.crt'),
          },
          { description: 'A ConfigMap holding the CA certificates.' },
        ),
      ),
    },
    {
      description:
        "CA certificates (PEM) that Logto's TLS certificate is checked against, for a Logto behind a private " +
        'CA; added to the system roots. One of secretRef and configMapRef.',
      ...celRules({
        rule: 'has(self.secretRef) != has(self.configMapRef)',
        message: 'set exactly one of secretRef and configMapRef',
      }),
    },
  );

const credentialsRef = (namespaced: boolean) =>
  Type.Object(
    {
      name: objectName('Name of the Secret.'),
      ...(namespaced
        ? {}
        : {
            namespace: objectName(
              "Namespace of the Secret: the operator's own (name it in the chart's connectionSecrets), or a namespace the operator serves (where it may read Secrets, as it publishes its applications' there).",
            ),
          }),
      clientIdKey: keyName('Key holding the app id.', 'clientId'),
      clientSecretKey: keyName('Key holding the app secret.', 'clientSecret'),
    },
    {
      description: `The Secret holding the app id and secret of a machine-to-machine application with Management API access${namespaced ? ', in the namespace of this connection' : ''}. Read again when it changes.`,
    },
  );

const specFields = (namespaced: boolean) => ({
  endpoint: webUrl('Base URL of Logto as the operator reaches it, e.g. https://logto.example.com.'),
  publicEndpoint: Type.Optional(
    webUrl('Base URL of Logto as applications reach it (LOGTO_ENDPOINT in Secrets). Default: endpoint.'),
  ),
  managementApiResource: Type.String({
    minLength: 1,
    maxLength: 2048,
    default: DEFAULT_MANAGEMENT_API_RESOURCE,
    description:
      `Indicator of the Management API resource. Default: ${DEFAULT_MANAGEMENT_API_RESOURCE} (Logto OSS); ` +
      'Logto Cloud: https://<tenant-id>.logto.app/api.',
  }),
  credentialsSecretRef: credentialsRef(namespaced),
  caBundle: Type.Optional(caBundle(namespaced)),
  requestTimeout: Type.String({
    default: '15s',
    maxLength: 16,
    // At most a minute: a slow or hostile endpoint must not hold the operator's workers for long.
    pattern: REQUEST_TIMEOUT_PATTERN,
    description: 'Timeout of one Logto HTTP request, e.g. 15s, 500ms, 1m; at most 60s. Default 15s.',
  }),
});

export const ClusterLogtoConnectionSpecSchema = Type.Object(
  { ...specFields(false), policy: Type.Optional(ClusterConnectionPolicySchema) },
  { description: 'A Logto tenant, the credentials to reach it, and what applications may do through it.' },
);
export const LogtoConnectionSpecSchema = Type.Object(
  { ...specFields(true), policy: Type.Optional(ConnectionPolicySchema) },
  {
    description:
      'A Logto tenant, the credentials to reach it (a Secret of this namespace), and what applications ' +
      'of this namespace may do through it.',
  },
);

export const LogtoConnectionStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(
      Type.Integer({
        format: 'int64',
        minimum: 0,
        description: 'The .metadata.generation that the status was last computed for.',
      }),
    ),
    conditions: Type.Optional(
      Type.Array(ConditionSchema(), {
        description:
          'Ready: a token was obtained and the Management API answered (the message says why not).',
        maxItems: 8,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
      }),
    ),
    applicationId: Type.Optional(
      Type.String({ description: 'Id of the machine-to-machine application the connection acts as.' }),
    ),
    serverFeatures: Type.Optional(
      Type.Object(
        {
          managementApiResource: Type.Optional(
            Type.Boolean({ description: 'Whether the Management API resource was found by its indicator.' }),
          ),
          managementApiAccessRole: Type.Optional(
            Type.Boolean({ description: 'Whether the built-in "Logto Management API access" role exists.' }),
          ),
        },
        { description: 'What the operator learned of the Logto server at the last check.' },
      ),
    ),
    applicationCount: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          'Number of LogtoApplications, LogtoRoles and LogtoApiResources holding something in Logto through ' +
          'this connection; the connection is not deleted while any does.',
      }),
    ),
  },
  { description: 'The observed state of the connection.' },
);

export type ClusterConnectionPolicy = Static<typeof ClusterConnectionPolicySchema>;
export type ConnectionPolicy = ClusterConnectionPolicy;
export type ConsentScopesPolicy = NonNullable<ConnectionPolicy['consentScopes']>;
export type LabelSelector = Static<typeof LabelSelectorSchema>;
export type ClusterLogtoConnectionSpec = Static<typeof ClusterLogtoConnectionSpecSchema>;
export type LogtoConnectionSpec = Static<typeof LogtoConnectionSpecSchema>;
export type LogtoConnectionStatus = Static<typeof LogtoConnectionStatusSchema>;

/** Either kind, as the operator reads it (the namespaced kind has no namespaces in its references). */
export interface LogtoConnectionObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    annotations?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string | Date;
  };
  spec: ClusterLogtoConnectionSpec;
  status?: LogtoConnectionStatus;
}
