/**
 * The writes every controller makes to its own custom resources: the finalizer and the operator's
 * annotations by server-side apply under one field manager, the finalizer's removal by a guarded
 * JSON patch (so that finalizers of others are never touched), and status by server-side apply on
 * the status subresource. Each write expects the resource's resourceVersion (see expectedVersion).
 */
import { PatchStrategy } from '@kubernetes/client-node';
import { kubePath, type KubeClient, type KubeRequest } from '../kube/client.js';
import { httpStatusOf } from '../runtime/index.js';
import { FIELD_MANAGER, FINALIZER } from './logto-application/constants.js';
import { KubernetesOperationError, named } from './logto-application/kube-errors.js';

/** Guarded finalizer removals tried before a concurrent change of the list counts as a failure. */
const FINALIZER_PATCH_ATTEMPTS = 5;

export interface CustomResourceType {
  group: string;
  version: string;
  plural: string;
  kind: string;
}

/** What the writes need of a resource. */
export interface WrittenResource {
  metadata: { name: string; namespace: string; resourceVersion?: string; finalizers?: string[] };
}

/**
 * Optimistic concurrency for the resource's own writes: a pass working on a cached copy older than
 * the object (its own earlier writes not yet seen by the informer, an edit meanwhile) gets a 409
 * and is retried on a fresh copy, instead of acting on what it no longer knows.
 */
function expectedVersion(resource: WrittenResource): { resourceVersion?: string } {
  const { resourceVersion } = resource.metadata;
  return resourceVersion ? { resourceVersion } : {};
}

function resourceVersionOf(object: unknown): string | undefined {
  return (object as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;
}

export class CustomObjectWrites<T extends WrittenResource, S> {
  /**
   * Every call is bounded by the client's request timeout and stops when the reconcile's abort
   * signal fires (the client reads it from the abort scope the reconciler runs in).
   */
  constructor(
    private readonly kube: KubeClient,
    private readonly type: CustomResourceType,
  ) {}

  private path(namespace: string, name: string, subresource?: 'status'): string {
    const { group, version, plural } = this.type;
    const segments = ['apis', group, version, 'namespaces', namespace, plural, name];
    return kubePath(...segments, ...(subresource ? [subresource] : []));
  }

  /** A patch of a resource (or its status) under the operator's field manager. */
  private patch(
    resource: WrittenResource,
    body: unknown,
    contentType: PatchStrategy,
    options: { subresource?: 'status'; force?: boolean } = {},
  ): Promise<unknown> {
    const { name, namespace } = resource.metadata;
    const request: KubeRequest = {
      method: 'PATCH',
      path: this.path(namespace, name, options.subresource),
      query: { fieldManager: FIELD_MANAGER, ...(options.force ? { force: true } : {}) },
      body,
      contentType,
    };
    return this.kube.request(request);
  }

  private get apiVersion(): string {
    return `${this.type.group}/${this.type.version}`;
  }

  /** Server-side applies the finalizer and the operator's annotations (the complete set). */
  async applyMetadata(resource: T, annotations: Record<string, string>): Promise<string | undefined> {
    const { name, namespace } = resource.metadata;
    const body = {
      apiVersion: this.apiVersion,
      kind: this.type.kind,
      metadata: { name, namespace, ...expectedVersion(resource), finalizers: [FINALIZER], annotations },
    };
    // Forced: a restore or a hand edit may have left these fields under another manager.
    const applied = await named(`apply finalizer and annotations to ${namespace}/${name}`, () =>
      this.patch(resource, body, PatchStrategy.ServerSideApply, { force: true }),
    );
    return resourceVersionOf(applied);
  }

  async removeFinalizer(resource: T): Promise<void> {
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
        await this.patch(resource, body, PatchStrategy.JsonPatch);
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

  /** Reads a resource from the apiserver, bypassing the cache; undefined when absent. */
  async readResource(namespace: string, name: string): Promise<T | undefined> {
    try {
      return await this.kube.request<T>({ method: 'GET', path: this.path(namespace, name) });
    } catch (error) {
      if (httpStatusOf(error) === 404) return undefined;
      throw new KubernetesOperationError(`read ${namespace}/${name}`, error);
    }
  }

  async applyStatus(resource: T, status: S): Promise<string | undefined> {
    const { name, namespace } = resource.metadata;
    const body = {
      apiVersion: this.apiVersion,
      kind: this.type.kind,
      metadata: { name, namespace, ...expectedVersion(resource) },
      status,
    };
    try {
      const applied = await this.patch(resource, body, PatchStrategy.ServerSideApply, {
        subresource: 'status',
        force: true,
      });
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
        this.patch(resource, operations, PatchStrategy.JsonPatch, { subresource: 'status' }),
      );
      return resourceVersionOf(patched);
    }
  }
}
