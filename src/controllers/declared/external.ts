/**
 * What the declared-object reconciler (reconciler.ts) asks of the Logto side of one LogtoRole or
 * LogtoApiResource pass, as Crossplane's managed reconciler asks its ExternalClient: observe, create,
 * update, delete. One client per pass, made by a connector that resolves the connection first.
 */
import type { Condition } from '../../crd/logto-application.js';
import type { AnnotationChanges } from '../logto-application/resource-metadata.js';

/** What both kinds share (see src/crd/logto-role.ts and logto-api-resource.ts). */
export interface DeclaredObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string | Date;
    creationTimestamp?: string | Date;
  };
  spec: {
    connectionRef?: { kind: string; name: string };
    deletionPolicy?: 'Delete' | 'Orphan';
    managementPolicies?: readonly string[];
  };
  status?: DeclaredStatus;
}

export interface DeclaredStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  connection?: string;
}

/** Whether the object only observes (Crossplane's managementPolicies: [Observe]). */
export function observesOnly(resource: { spec: { managementPolicies?: readonly string[] } }): boolean {
  const policies = resource.spec.managementPolicies ?? ['*'];
  return !policies.includes('*') && policies.includes('Observe');
}

export type DeclaredObservation =
  | { exists: false }
  | {
      exists: true;
      id: string;
      /** The id is not yet this object's record: written to logto.io/external-name first. */
      record: boolean;
      /** Said in a Normal event when the pass found the object rather than made it. */
      found?: string;
    };

export interface DeclaredUpdate<S> {
  /** How messages name the object, e.g. `Logto role rol_123`. */
  title: string;
  /** The converged state for status. */
  status: S;
  /** What changed, for a Normal event; undefined when nothing did. */
  changes?: string;
}

export interface DeclaredExternal<S> {
  readonly calls: readonly string[];
  /** Annotations to record with the first write (the connection pin). */
  readonly annotations: AnnotationChanges;
  observe(): Promise<DeclaredObservation>;
  create(): Promise<{ id: string; message: string }>;
  /** Converges the object; an observe-only object is read and reported, never written. */
  update(): Promise<DeclaredUpdate<S>>;
  /** Deletes or orphans per spec.deletionPolicy; nothing for an object that is not this one's. */
  delete(): Promise<void>;
  release(): void;
}

export interface DeclaredConnector<T extends DeclaredObject, S> {
  connect(resource: T): Promise<DeclaredExternal<S>>;
}
