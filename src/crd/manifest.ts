import { Type, type TSchema } from '@sinclair/typebox';
import {
  API_RESOURCE_KIND,
  API_RESOURCE_PLURAL,
  API_RESOURCE_SINGULAR,
  LogtoApiResourceSpecSchema,
  LogtoApiResourceStatusSchema,
} from './logto-api-resource.js';
import {
  GROUP,
  KIND,
  LogtoApplicationSpecSchema,
  LogtoApplicationStatusSchema,
  PLURAL,
  SINGULAR,
  VERSION,
} from './logto-application.js';
import {
  CLUSTER_CONNECTION_KIND,
  CLUSTER_CONNECTION_PLURAL,
  CONNECTION_KIND,
  CONNECTION_PLURAL,
  ClusterLogtoConnectionSpecSchema,
  DEFAULT_CONNECTION_ANNOTATION,
  LogtoConnectionSpecSchema,
  LogtoConnectionStatusSchema,
} from './logto-connection.js';
import { GRANT_KIND, GRANT_PLURAL, GRANT_SINGULAR, LogtoGrantSpecSchema } from './logto-grant.js';
import {
  LogtoRoleSpecSchema,
  LogtoRoleStatusSchema,
  ROLE_KIND,
  ROLE_PLURAL,
  ROLE_SINGULAR,
} from './logto-role.js';
import { toStructuralSchema } from './structural-schema.js';

/** The CustomResourceDefinition of LogtoApplication, built from the TypeBox schemas. */
export function logtoApplicationCrd(): Record<string, unknown> {
  const root = Type.Object(
    {
      apiVersion: Type.Optional(
        Type.String({ description: 'APIVersion of this object: logto.io/v1alpha1.' }),
      ),
      kind: Type.Optional(Type.String({ description: 'Kind of this object: LogtoApplication.' })),
      // The apiserver allows nothing but `type` on metadata (its schema is built in).
      metadata: Type.Optional(Type.Object({})),
      spec: LogtoApplicationSpecSchema,
      status: Type.Optional(LogtoApplicationStatusSchema),
    },
    {
      description:
        'LogtoApplication declares one application in a Logto tenant. The operator creates or adopts the ' +
        'application, keeps it converged to the spec, and publishes its credentials in a Secret.',
    },
  );
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${PLURAL}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: KIND,
        listKind: `${KIND}List`,
        plural: PLURAL,
        singular: SINGULAR,
        shortNames: ['logtoapp'],
        categories: ['logto'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: 'Synced', type: 'string', jsonPath: '.status.conditions[?(@.type=="Synced")].status' },
            {
              name: 'Reason',
              type: 'string',
              jsonPath: '.status.conditions[?(@.type=="Synced")].reason',
              priority: 1,
            },
            { name: 'Type', type: 'string', jsonPath: '.spec.type' },
            { name: 'App ID', type: 'string', jsonPath: '.status.applicationId' },
            { name: 'Secret', type: 'string', jsonPath: '.status.secretName', priority: 1 },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: { openAPIV3Schema: toStructuralSchema(root) },
        },
      ],
    },
  };
}

function connectionCrd(namespaced: boolean): Record<string, unknown> {
  const kind = namespaced ? CONNECTION_KIND : CLUSTER_CONNECTION_KIND;
  const plural = namespaced ? CONNECTION_PLURAL : CLUSTER_CONNECTION_PLURAL;
  const root = Type.Object(
    {
      apiVersion: Type.Optional(
        Type.String({ description: 'APIVersion of this object: logto.io/v1alpha1.' }),
      ),
      kind: Type.Optional(Type.String({ description: `Kind of this object: ${kind}.` })),
      metadata: Type.Optional(Type.Object({})),
      spec: namespaced ? LogtoConnectionSpecSchema : ClusterLogtoConnectionSpecSchema,
      status: Type.Optional(LogtoConnectionStatusSchema),
    },
    {
      description: namespaced
        ? `${kind}: a Logto tenant that the LogtoApplications of this namespace (and only those) may use ` +
          'through spec.connectionRef, with the credentials and policy to use it.'
        : `${kind}: a Logto tenant that LogtoApplications of the namespaces its policy selects may use through ` +
          `spec.connectionRef; the one annotated ${DEFAULT_CONNECTION_ANNOTATION}: "true" serves those without one.`,
    },
  );
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind,
        listKind: `${kind}List`,
        plural,
        singular: kind.toLowerCase(),
        shortNames: [namespaced ? 'logtoconn' : 'clusterlogtoconn'],
        categories: ['logto'],
      },
      scope: namespaced ? 'Namespaced' : 'Cluster',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            {
              name: 'Reason',
              type: 'string',
              jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
              priority: 1,
            },
            { name: 'Endpoint', type: 'string', jsonPath: '.spec.endpoint' },
            { name: 'Apps', type: 'integer', jsonPath: '.status.applicationCount' },
            { name: 'App ID', type: 'string', jsonPath: '.status.applicationId', priority: 1 },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: { openAPIV3Schema: toStructuralSchema(root) },
        },
      ],
    },
  };
}

/** The CustomResourceDefinition of ClusterLogtoConnection (cluster-scoped). */
export const clusterLogtoConnectionCrd = () => connectionCrd(false);
/** The CustomResourceDefinition of LogtoConnection (namespaced). */
export const logtoConnectionCrd = () => connectionCrd(true);

const READY_COLUMNS = [
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  { name: 'Synced', type: 'string', jsonPath: '.status.conditions[?(@.type=="Synced")].status' },
  {
    name: 'Reason',
    type: 'string',
    jsonPath: '.status.conditions[?(@.type=="Synced")].reason',
    priority: 1,
  },
];
const AGE_COLUMN = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

/** A namespaced kind of logto.io/v1alpha1, in the builder style of logtoApplicationCrd. */
function namespacedCrd(options: {
  kind: string;
  plural: string;
  singular: string;
  shortName: string;
  description: string;
  spec: TSchema;
  /** Optional with this default: the apiserver fills it in (and the defaults below it). */
  specDefault?: Record<string, never>;
  status?: TSchema;
  columns: Record<string, unknown>[];
}): Record<string, unknown> {
  const { kind, plural, status } = options;
  const root = Type.Object(
    {
      apiVersion: Type.Optional(
        Type.String({ description: 'APIVersion of this object: logto.io/v1alpha1.' }),
      ),
      kind: Type.Optional(Type.String({ description: `Kind of this object: ${kind}.` })),
      // The apiserver allows nothing but `type` on metadata (its schema is built in).
      metadata: Type.Optional(Type.Object({})),
      spec: options.specDefault
        ? Type.Optional({ ...options.spec, default: options.specDefault })
        : options.spec,
      ...(status ? { status: Type.Optional(status) } : {}),
    },
    { description: options.description },
  );
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind,
        listKind: `${kind}List`,
        plural,
        singular: options.singular,
        shortNames: [options.shortName],
        categories: ['logto'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          ...(status ? { subresources: { status: {} } } : {}),
          additionalPrinterColumns: options.columns,
          schema: { openAPIV3Schema: toStructuralSchema(root) },
        },
      ],
    },
  };
}

/** The CustomResourceDefinition of LogtoApiResource. */
export const logtoApiResourceCrd = () =>
  namespacedCrd({
    kind: API_RESOURCE_KIND,
    plural: API_RESOURCE_PLURAL,
    singular: API_RESOURCE_SINGULAR,
    shortName: 'logtoapi',
    description:
      'LogtoApiResource declares one API resource of a Logto tenant, with its scopes (permissions). The ' +
      'operator creates it (or takes over or observes an existing one the connection allows), keeps it ' +
      'converged to the spec, and reports its id. LogtoRoles hold its scopes; third-party LogtoApplications ' +
      'ask consent for them. Other namespaces may use its scopes once a LogtoGrant here names them.',
    spec: LogtoApiResourceSpecSchema,
    status: LogtoApiResourceStatusSchema,
    columns: [
      ...READY_COLUMNS,
      { name: 'Indicator', type: 'string', jsonPath: '.spec.indicator' },
      { name: 'Resource ID', type: 'string', jsonPath: '.status.resourceId', priority: 1 },
      AGE_COLUMN,
    ],
  });

/** The CustomResourceDefinition of LogtoRole. */
export const logtoRoleCrd = () =>
  namespacedCrd({
    kind: ROLE_KIND,
    plural: ROLE_PLURAL,
    singular: ROLE_SINGULAR,
    shortName: 'logtorole',
    description:
      'LogtoRole declares one MachineToMachine role of a Logto tenant, holding scopes of the API resources ' +
      'that LogtoApiResources declare (of this namespace, or granted to it by a LogtoGrant). ' +
      'MachineToMachine LogtoApplications of this namespace, and of the namespaces a LogtoGrant here ' +
      'names, may hold it (spec.roles).',
    spec: LogtoRoleSpecSchema,
    // Every field is optional: `kind: LogtoRole` with a name is a role without scopes.
    specDefault: {},
    status: LogtoRoleStatusSchema,
    columns: [
      ...READY_COLUMNS,
      { name: 'Role', type: 'string', jsonPath: '.status.name' },
      { name: 'Role ID', type: 'string', jsonPath: '.status.roleId', priority: 1 },
      AGE_COLUMN,
    ],
  });

/** The CustomResourceDefinition of LogtoGrant (no status: the operator only reads it). */
export const logtoGrantCrd = () =>
  namespacedCrd({
    kind: GRANT_KIND,
    plural: GRANT_PLURAL,
    singular: GRANT_SINGULAR,
    shortName: 'logtogrant',
    description:
      'LogtoGrant lets other namespaces use LogtoRoles and LogtoApiResource scopes of its namespace, like ' +
      "Gateway API's ReferenceGrant: it lives in the namespace that owns them, so only who may write there " +
      'can hand them out. The operator reads it; it has no status.',
    spec: LogtoGrantSpecSchema,
    columns: [AGE_COLUMN],
  });
