/**
 * What the LogtoApplication controller needs from the world, as narrow interfaces: the Logto client
 * (used only by the Logto external client, logto-external.ts), the Kubernetes writes and events
 * (used by the generic reconciler). Tests and the wiring in src/operator.ts provide the
 * implementations.
 */
import type { V1Secret } from '@kubernetes/client-node';
import type { LogtoClient } from '../../api/client.js';
import type { LogtoApplication, LogtoApplicationStatus } from '../../crd/logto-application.js';
import type { SecretManifest } from './credentials-secret.js';

/** The Logto Management API, as the reconciler uses it. */
export type LogtoApplicationsApi = LogtoClient;

/** Kubernetes writes and the reads that bypass the informer caches. */
export interface KubeOperations {
  /**
   * Server-side applies the finalizer and the operator's annotations, which must be the complete set
   * (see ownAnnotations): an annotation left out is removed.
   */
  applyMetadata(resource: LogtoApplication, annotations: Record<string, string>): Promise<string | undefined>;
  /** Removes the finalizer, precisely and only if still present. */
  removeFinalizer(resource: LogtoApplication): Promise<void>;
  /**
   * Applies the whole status (server-side apply on the status subresource). Both applies expect the
   * resource's resourceVersion (a stale copy gets a 409) and answer the new one.
   */
  applyStatus(resource: LogtoApplication, status: LogtoApplicationStatus): Promise<string | undefined>;
  /** Reads a Secret from the apiserver; undefined when it does not exist. */
  readSecret(namespace: string, name: string): Promise<V1Secret | undefined>;
  /** Server-side applies the operator's fields of a Secret it owns. */
  applySecret(secret: SecretManifest): Promise<void>;
  /** Deletes a Secret (already checked to be owned by the resource); absent is fine. */
  deleteSecret(namespace: string, name: string): Promise<void>;
}

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  /** Records a Kubernetes Event on the resource. Never pass a secret value in `message`. */
  record(resource: LogtoApplication, type: EventType, reason: string, message: string): void;
}
