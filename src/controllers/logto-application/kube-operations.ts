/**
 * The Kubernetes writes of the LogtoApplication controller. Everything it owns is written with
 * server-side apply under one field manager; the finalizer is removed with a guarded JSON patch so
 * that finalizers of others are never touched.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Secret,
} from '@kubernetes/client-node';
import type { KubeClient } from '../../kube/client.js';
import type { LogtoApplication, LogtoApplicationStatus } from '../../crd/logto-application.js';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from '../../crd/logto-application.js';
import { httpStatusOf } from '../../runtime/index.js';
import type { SecretManifest } from './credentials-secret.js';
import { FIELD_MANAGER, FINALIZER } from './constants.js';
import { KubernetesOperationError, named } from './kube-errors.js';
import type { KubeOperations } from './ports.js';

const applyPatch = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
/** Guarded finalizer removals tried before a concurrent change of the list counts as a failure. */
const FINALIZER_PATCH_ATTEMPTS = 5;

/** The request parameters naming a LogtoApplication, written under the operator's field manager. */
function target(resource: LogtoApplication) {
  const { name, namespace } = resource.metadata;
  return { group: GROUP, version: VERSION, namespace, plural: PLURAL, name, fieldManager: FIELD_MANAGER };
}

/**
 * Optimistic concurrency for the resource's own writes: a pass working on a cached copy older than
 * the object (its own earlier writes not yet seen by the informer, an edit meanwhile) gets a 409
 * and is retried on a fresh copy, instead of acting on what it no longer knows.
 */
function expectedVersion(resource: LogtoApplication): { resourceVersion?: string } {
  const { resourceVersion } = resource.metadata;
  return resourceVersion ? { resourceVersion } : {};
}

function resourceVersionOf(object: unknown): string | undefined {
  return (object as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;
}

export class KubernetesOperations implements KubeOperations {
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;

  /**
   * Every call is bounded by the client's request timeout and stops when the reconcile's abort
   * signal fires (the client reads it from the abort scope the reconciler runs in).
   */
  constructor(kube: KubeClient) {
    this.core = kube.api(CoreV1Api);
    this.custom = kube.api(CustomObjectsApi);
  }

  async applyMetadata(
    resource: LogtoApplication,
    annotations: Record<string, string>,
  ): Promise<string | undefined> {
    const { name, namespace } = resource.metadata;
    const body = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name, namespace, ...expectedVersion(resource), finalizers: [FINALIZER], annotations },
    };
    // Forced: a restore or a hand edit may have left these fields under another manager.
    const applied = await named(`apply finalizer and annotations to ${namespace}/${name}`, () =>
      this.custom.patchNamespacedCustomObject({ ...target(resource), body, force: true }, applyPatch),
    );
    return resourceVersionOf(applied);
  }

  async removeFinalizer(resource: LogtoApplication): Promise<void> {
    const { name, namespace } = resource.metadata;
    let finalizers = resource.metadata.finalizers ?? [];
    // The guard fails (422) when another controller changed the list since it was read; read it
    // again and retry at once, a few times, rather than report a deletion failure.
    for (let attempt = 1; ; attempt++) {
      const index = finalizers.indexOf(FINALIZER);
      if (index < 0) return;
      const body = [
        { op: 'test', path: `/metadata/finalizers/${index}`, value: FINALIZER },
        { op: 'remove', path: `/metadata/finalizers/${index}` },
      ];
      try {
        await this.custom.patchNamespacedCustomObject({ ...target(resource), body }, jsonPatch);
        return;
      } catch (error) {
        const status = httpStatusOf(error);
        if (status === 404) return;
        if (status !== 422 || attempt >= FINALIZER_PATCH_ATTEMPTS)
          throw new KubernetesOperationError(`remove finalizer from ${namespace}/${name}`, error);
      }
      const fresh = await this.readResource(namespace, name);
      if (!fresh) return;
      finalizers = fresh.metadata.finalizers ?? [];
    }
  }

  /** Reads a LogtoApplication from the apiserver, bypassing the cache; undefined when absent. */
  async readResource(namespace: string, name: string): Promise<LogtoApplication | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURAL,
        name,
      })) as LogtoApplication;
    } catch (error) {
      if (httpStatusOf(error) === 404) return undefined;
      throw new KubernetesOperationError(`read ${namespace}/${name}`, error);
    }
  }

  async applyStatus(resource: LogtoApplication, status: LogtoApplicationStatus): Promise<string | undefined> {
    const { name, namespace } = resource.metadata;
    const body = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name, namespace, ...expectedVersion(resource) },
      status,
    };
    try {
      const applied = await this.custom.patchNamespacedCustomObjectStatus(
        { ...target(resource), body, force: true },
        applyPatch,
      );
      return resourceVersionOf(applied);
    } catch (error) {
      if (httpStatusOf(error) !== 500)
        throw new KubernetesOperationError(`apply status of ${namespace}/${name}`, error);
      // Server-side apply converts the whole stored object to its schema's types first, and fails
      // (500) on a value the apiserver admitted although its schema declares another type (kube-
      // apiserver 1.34 lets an array through where a date-time string is declared). A JSON patch
      // does not convert: the status, and the pass's reason, still reach the resource (status whole;
      // the operator is its only writer).
      const operations = [{ op: 'add', path: '/status', value: status }];
      const patched = await named(`patch status of ${namespace}/${name}`, () =>
        this.custom.patchNamespacedCustomObjectStatus({ ...target(resource), body: operations }, jsonPatch),
      );
      return resourceVersionOf(patched);
    }
  }

  async readSecret(namespace: string, name: string): Promise<V1Secret | undefined> {
    try {
      return await this.core.readNamespacedSecret({ name, namespace });
    } catch (error) {
      if (httpStatusOf(error) === 404) return undefined;
      throw new KubernetesOperationError(`read Secret ${namespace}/${name}`, error);
    }
  }

  async applySecret(secret: SecretManifest): Promise<void> {
    const { name, namespace } = secret.metadata;
    await named(`apply Secret ${namespace}/${name}`, () =>
      this.core.patchNamespacedSecret(
        { name, namespace, body: secret, fieldManager: FIELD_MANAGER, force: true },
        applyPatch,
      ),
    );
  }

  async deleteSecret(namespace: string, name: string): Promise<void> {
    try {
      await this.core.deleteNamespacedSecret({ name, namespace });
    } catch (error) {
      if (httpStatusOf(error) === 404) return;
      throw new KubernetesOperationError(`delete Secret ${namespace}/${name}`, error);
    }
  }
}
