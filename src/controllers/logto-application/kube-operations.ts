/**
 * The Kubernetes writes of the LogtoApplication controller: its own resource's (custom-object-writes.ts)
 * and its Secrets', server-side applied under one field manager.
 */
import { PatchStrategy, type V1Secret } from '@kubernetes/client-node';
import { kubePath, type KubeClient } from '../../kube/client.js';
import type { LogtoApplication, LogtoApplicationStatus } from '../../crd/logto-application.js';
import { GROUP, KIND, PLURAL, VERSION } from '../../crd/logto-application.js';
import { httpStatusOf } from '../../runtime/index.js';
import type { SecretManifest } from './credentials-secret.js';
import { FIELD_MANAGER } from './constants.js';
import { CustomObjectWrites } from '../custom-object-writes.js';
import { KubernetesOperationError, named } from './kube-errors.js';
import type { KubeOperations } from './ports.js';

const secretPath = (namespace: string, name: string) =>
  kubePath('api', 'v1', 'namespaces', namespace, 'secrets', name);

export class KubernetesOperations implements KubeOperations {
  private readonly own: CustomObjectWrites<LogtoApplication, LogtoApplicationStatus>;

  /**
   * Every call is bounded by the client's request timeout and stops when the reconcile's abort
   * signal fires (the client reads it from the abort scope the reconciler runs in).
   */
  constructor(private readonly kube: KubeClient) {
    this.own = new CustomObjectWrites(kube, { group: GROUP, version: VERSION, plural: PLURAL, kind: KIND });
  }

  applyMetadata(
    resource: LogtoApplication,
    annotations: Record<string, string>,
  ): Promise<string | undefined> {
    return this.own.applyMetadata(resource, annotations);
  }

  removeFinalizer(resource: LogtoApplication): Promise<void> {
    return this.own.removeFinalizer(resource);
  }

  /** Reads a LogtoApplication from the apiserver, bypassing the cache; undefined when absent. */
  readResource(namespace: string, name: string): Promise<LogtoApplication | undefined> {
    return this.own.readResource(namespace, name);
  }

  applyStatus(resource: LogtoApplication, status: LogtoApplicationStatus): Promise<string | undefined> {
    return this.own.applyStatus(resource, status);
  }

  async readSecret(namespace: string, name: string): Promise<V1Secret | undefined> {
    try {
      return await this.kube.request<V1Secret>({ method: 'GET', path: secretPath(namespace, name) });
    } catch (error) {
      if (httpStatusOf(error) === 404) return undefined;
      throw new KubernetesOperationError(`read Secret ${namespace}/${name}`, error);
    }
  }

  async applySecret(secret: SecretManifest): Promise<void> {
    const { name, namespace } = secret.metadata;
    await named(`apply Secret ${namespace}/${name}`, () =>
      this.kube.request({
        method: 'PATCH',
        path: secretPath(namespace, name),
        query: { fieldManager: FIELD_MANAGER, force: true },
        body: secret,
        contentType: PatchStrategy.ServerSideApply,
      }),
    );
  }

  async deleteSecret(namespace: string, name: string): Promise<void> {
    try {
      await this.kube.request({ method: 'DELETE', path: secretPath(namespace, name) });
    } catch (error) {
      if (httpStatusOf(error) === 404) return;
      throw new KubernetesOperationError(`delete Secret ${namespace}/${name}`, error);
    }
  }
}
