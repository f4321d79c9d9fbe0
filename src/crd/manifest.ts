import { Type } from '@sinclair/typebox';
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
