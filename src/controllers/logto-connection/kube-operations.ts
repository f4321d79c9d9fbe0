/**
 * The Kubernetes writes of the connection controller: JSON merge patches of the finalizer list
 * (guarded by the resourceVersion, so that a concurrent change of the list is never overwritten) and
 * of the status subresource, which only this controller writes.
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../../crd/logto-application.js';
import {
  CLUSTER_CONNECTION_PLURAL,
  CONNECTION_PLURAL,
  type LogtoConnectionObject,
  type LogtoConnectionStatus,
} from '../../crd/logto-connection.js';
import type { KubeClient } from '../../kube/client.js';
import type { ConnectionKubeOperations } from './reconciler.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class KubernetesConnectionOperations implements ConnectionKubeOperations {
  private readonly custom: CustomObjectsApi;

  constructor(kube: KubeClient) {
    this.custom = kube.api(CustomObjectsApi);
  }

  async setFinalizers(connection: LogtoConnectionObject, finalizers: string[]): Promise<void> {
    const { resourceVersion } = connection.metadata;
    await this.patch(connection, {
      metadata: { finalizers, ...(resourceVersion ? { resourceVersion } : {}) },
    });
  }

  async writeStatus(connection: LogtoConnectionObject, status: LogtoConnectionStatus): Promise<void> {
    await this.patch(connection, { status }, true);
  }

  private async patch(connection: LogtoConnectionObject, body: object, status = false): Promise<void> {
    const { name, namespace } = connection.metadata;
    const common = { group: GROUP, version: VERSION, name, body };
    if (namespace) {
      const request = { ...common, namespace, plural: CONNECTION_PLURAL };
      await (status
        ? this.custom.patchNamespacedCustomObjectStatus(request, mergePatch)
        : this.custom.patchNamespacedCustomObject(request, mergePatch));
    } else {
      const request = { ...common, plural: CLUSTER_CONNECTION_PLURAL };
      await (status
        ? this.custom.patchClusterCustomObjectStatus(request, mergePatch)
        : this.custom.patchClusterCustomObject(request, mergePatch));
    }
  }
}
