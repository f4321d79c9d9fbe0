/**
 * An in-memory stand-in for the apiserver as the LogtoApplication reconciler sees it: its
 * KubeOperations (src/controllers/logto-application/ports.ts), its informer caches (the resources,
 * the Secrets it owns), and the edits users make (create, merge patches, delete).
 *
 * It keeps state and behaves like the apiserver where the reconciler relies on it:
 * - server-side apply of the finalizer and annotations under the operator's field manager: the
 *   finalizer joins the list (a set: others' finalizers stay), the annotations the operator applied
 *   before and leaves out are removed, others' stay; a user's merge patch of an annotation takes it
 *   over (as an update takes ownership of the fields it changes);
 * - applying status replaces the operator's status (only the operator writes it);
 * - both expect the resource's resourceVersion and answer 409 to a stale copy;
 * - spec edits move metadata.generation, metadata and status writes do not; a deletion with
 *   finalizers sets deletionTimestamp (and moves generation), the object goes once the last
 *   finalizer does;
 * - the finalizer is removed as the guarded JSON patch does: only where it still is;
 * - Secrets: reading one that does not exist answers undefined, one that someone else made is
 *   answered as it is; applying one merges like server-side apply (keys, labels and annotations
 *   the operator applied before and leaves out go, with managedFields telling which it applied);
 * - the caches: the Secret cache holds only Secrets labelled as the operator's (its informer's
 *   label selector), transformed as the operator's informer transforms them.
 *
 * Nothing garbage-collects owned Secrets when their resource goes: the integration control plane
 * runs no kube-controller-manager either.
 */
import { randomUUID } from 'node:crypto';
import {
  ApiException,
  type KubernetesObject,
  type V1ManagedFieldsEntry,
  type V1Secret,
} from '@kubernetes/client-node';
import { FIELD_MANAGER, FINALIZER } from '../../src/controllers/logto-application/constants.js';
import {
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  type SecretManifest,
} from '../../src/controllers/logto-application/credentials-secret.js';
import { KubernetesOperationError } from '../../src/controllers/logto-application/kube-errors.js';
import type { KubeOperations } from '../../src/controllers/logto-application/ports.js';
import {
  API_VERSION,
  KIND,
  type LogtoApplication,
  type LogtoApplicationSpec,
  type LogtoApplicationStatus,
} from '../../src/crd/logto-application.js';
import { digestAppliedSecret, stripWriteBookkeeping, type SecretDigest } from '../../src/runtime/index.js';

interface StoredResource {
  object: LogtoApplication;
  /** Annotation keys the operator's field manager owns (applied last, not taken over since). */
  appliedAnnotations: Set<string>;
}

/** What a JSON merge patch (RFC 7386) of `target` with `patch` gives; neither is modified. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return structuredClone(patch);
  const result: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target)
      ? structuredClone(target as Record<string, unknown>)
      : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;

/** An error as the Kubernetes client throws it for a refused request. */
function apiError(code: number, reason: string, message: string): ApiException<unknown> {
  return new ApiException(code, message, { kind: 'Status', code, reason, message }, {});
}

/** The keys of `f:<section>` in a managedFields entry's fieldsV1. */
function fieldKeys(keys: Iterable<string>): Record<string, object> {
  return Object.fromEntries([...keys].map((key) => [`f:${key}`, {}]));
}

function appliedSection(entry: V1ManagedFieldsEntry | undefined, path: string[]): Set<string> {
  let node = entry?.fieldsV1 as Record<string, unknown> | undefined;
  for (const part of path) node = node?.[`f:${part}`] as Record<string, unknown> | undefined;
  return new Set(
    Object.keys(node ?? {})
      .filter((k) => k.startsWith('f:') || k.startsWith('k:'))
      .map((k) => k.slice(2)),
  );
}

/** `current` without the keys `manager` applied before and no longer applies, with `applied` set. */
function applyMap(
  current: Record<string, string> | undefined,
  before: ReadonlySet<string>,
  applied: Record<string, string> | undefined,
): Record<string, string> {
  const result = { ...(current ?? {}) };
  for (const key of before) if (!(applied && key in applied)) delete result[key];
  return Object.assign(result, applied ?? {});
}

export class MemoryKube implements KubeOperations {
  private readonly resources = new Map<string, StoredResource>();
  private readonly secrets = new Map<string, V1Secret>();
  private version = 0;
  private readonly ownedSecretView = digestAppliedSecret(FIELD_MANAGER);

  // ---- what users do (kubectl, through the apiserver) ----

  create(
    namespace: string,
    name: string,
    spec: LogtoApplicationSpec,
    annotations?: Record<string, string>,
  ): LogtoApplication {
    const key = keyOf(namespace, name);
    if (this.resources.has(key)) throw apiError(409, 'AlreadyExists', `${key} already exists`);
    const object: LogtoApplication = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: {
        name,
        namespace,
        uid: randomUUID(),
        generation: 1,
        resourceVersion: this.nextVersion(),
        ...(annotations ? { annotations: { ...annotations } } : {}),
      },
      spec: structuredClone(spec),
    };
    this.resources.set(key, { object, appliedAnnotations: new Set() });
    return structuredClone(object);
  }

  /**
   * The resource goes without any finalizer running, and its Secrets with it (garbage collection), as
   * when its cluster is lost: what a restore then starts from.
   */
  lose(namespace: string, name: string): void {
    const stored = this.resources.get(keyOf(namespace, name));
    if (!stored) return;
    this.resources.delete(keyOf(namespace, name));
    for (const [key, secret] of this.secrets) {
      if (secret.metadata?.ownerReferences?.some((ref) => ref.uid === stored.object.metadata.uid))
        this.secrets.delete(key);
    }
  }

  /** The resource as a read from the apiserver answers it; undefined once it is gone. */
  get(namespace: string, name: string): LogtoApplication | undefined {
    const stored = this.resources.get(keyOf(namespace, name));
    return stored && structuredClone(stored.object);
  }

  /** A JSON merge patch of the spec (null removes a field); generation moves when the spec changes. */
  patchSpec(namespace: string, name: string, patch: Record<string, unknown>): LogtoApplication {
    const stored = this.stored(namespace, name);
    const spec = mergePatch(stored.object.spec, patch) as LogtoApplicationSpec;
    if (JSON.stringify(spec) !== JSON.stringify(stored.object.spec)) {
      stored.object.spec = spec;
      stored.object.metadata.generation = (stored.object.metadata.generation ?? 0) + 1;
    }
    stored.object.metadata.resourceVersion = this.nextVersion();
    return structuredClone(stored.object);
  }

  /**
   * A user's merge patch of the metadata: annotations are merged (null removes one) and taken over
   * from the operator's field manager; finalizers, a list, are replaced.
   */
  patchMetadata(
    namespace: string,
    name: string,
    patch: { annotations?: Record<string, string | null>; finalizers?: string[] },
  ): LogtoApplication {
    const stored = this.stored(namespace, name);
    const { metadata } = stored.object;
    if (patch.annotations) {
      metadata.annotations = mergePatch(metadata.annotations ?? {}, patch.annotations) as Record<
        string,
        string
      >;
      for (const key of Object.keys(patch.annotations)) stored.appliedAnnotations.delete(key);
    }
    if (patch.finalizers) metadata.finalizers = [...patch.finalizers];
    metadata.resourceVersion = this.nextVersion();
    this.collectIfFinalized(stored);
    return structuredClone(stored.object);
  }

  /**
   * Deletes the resource: gone at once without finalizers; with some, deletionTimestamp is set (and
   * generation moves, as the apiserver does) until the last finalizer goes.
   */
  delete(namespace: string, name: string): void {
    const stored = this.stored(namespace, name);
    const { metadata } = stored.object;
    if (!metadata.finalizers?.length) {
      this.resources.delete(keyOf(namespace, name));
      return;
    }
    if (metadata.deletionTimestamp) return;
    metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    metadata.generation = (metadata.generation ?? 0) + 1;
    metadata.resourceVersion = this.nextVersion();
  }

  /** Creates a Secret as someone else would (kubectl create secret): no managedFields of the operator. */
  putSecret(secret: { metadata: { name: string; namespace: string }; stringData: Record<string, string> }) {
    const { name, namespace } = secret.metadata;
    const key = keyOf(namespace, name);
    if (this.secrets.has(key)) throw apiError(409, 'AlreadyExists', `Secret ${key} already exists`);
    this.secrets.set(key, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace, uid: randomUUID(), resourceVersion: this.nextVersion() },
      type: 'Opaque',
      data: Object.fromEntries(
        Object.entries(secret.stringData).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      ),
    });
  }

  /** Every resource the apiserver holds. */
  allResources(): LogtoApplication[] {
    return [...this.resources.values()].map((stored) => structuredClone(stored.object));
  }

  /** The Secret as a read from the apiserver answers it. */
  secret(namespace: string, name: string): V1Secret | undefined {
    const secret = this.secrets.get(keyOf(namespace, name));
    return secret && structuredClone(secret);
  }

  // ---- the informer caches the reconciler reads ----

  /** The LogtoApplication informer's cache. */
  readonly resourceCache = {
    get: (namespace: string, name: string): LogtoApplication | undefined => {
      const stored = this.resources.get(keyOf(namespace, name));
      // Informers hold objects as JSON (timestamps are strings), as operator.ts casts them.
      if (!stored) return undefined;
      const copy = structuredClone(stored.object) as unknown as KubernetesObject;
      return stripWriteBookkeeping(copy) as unknown as LogtoApplication;
    },
  };

  /** The cache of the Secrets the operator owns (label selector managed-by=logto-operator). */
  readonly ownedSecretCache = {
    get: (namespace: string, name: string): SecretDigest | undefined => {
      const secret = this.secrets.get(keyOf(namespace, name));
      if (secret?.metadata?.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE) return undefined;
      return this.ownedSecretView(structuredClone(secret));
    },
  };

  // ---- KubeOperations ----

  applyMetadata(
    resource: LogtoApplication,
    annotations: Record<string, string>,
  ): Promise<string | undefined> {
    return this.operation(`apply finalizer and annotations to ${nameOf(resource)}`, () => {
      const stored = this.current(resource);
      const { metadata } = stored.object;
      metadata.annotations = applyMap(metadata.annotations, stored.appliedAnnotations, annotations);
      if (Object.keys(metadata.annotations).length === 0) delete metadata.annotations;
      stored.appliedAnnotations = new Set(Object.keys(annotations));
      if (!metadata.finalizers?.includes(FINALIZER)) {
        metadata.finalizers = [...(metadata.finalizers ?? []), FINALIZER];
      }
      metadata.resourceVersion = this.nextVersion();
      return metadata.resourceVersion;
    });
  }

  removeFinalizer(resource: LogtoApplication): Promise<void> {
    return this.operation(`remove finalizer from ${nameOf(resource)}`, () => {
      const stored = this.resources.get(keyOf(resource.metadata.namespace, resource.metadata.name));
      if (!stored) return;
      // The guarded patch names the index the pass saw; a list changed since is read again.
      const { metadata } = stored.object;
      const seen = (resource.metadata.finalizers ?? []).indexOf(FINALIZER);
      const index =
        seen >= 0 && metadata.finalizers?.[seen] === FINALIZER
          ? seen
          : (metadata.finalizers ?? []).indexOf(FINALIZER);
      if (index < 0) return;
      metadata.finalizers = metadata.finalizers!.filter((_, i) => i !== index);
      metadata.resourceVersion = this.nextVersion();
      this.collectIfFinalized(stored);
    });
  }

  applyStatus(resource: LogtoApplication, status: LogtoApplicationStatus): Promise<string | undefined> {
    return this.operation(`apply status of ${nameOf(resource)}`, () => {
      const stored = this.current(resource);
      stored.object.status = structuredClone(status);
      stored.object.metadata.resourceVersion = this.nextVersion();
      return stored.object.metadata.resourceVersion;
    });
  }

  readSecret(namespace: string, name: string): Promise<V1Secret | undefined> {
    return Promise.resolve(this.secret(namespace, name));
  }

  applySecret(manifest: SecretManifest): Promise<void> {
    return this.operation(`apply Secret ${manifest.metadata.namespace}/${manifest.metadata.name}`, () => {
      const { name, namespace } = manifest.metadata;
      const key = keyOf(namespace, name);
      const existing = this.secrets.get(key);
      const others = (existing?.metadata?.managedFields ?? []).filter(
        (f) => !(f.manager === FIELD_MANAGER && f.operation === 'Apply'),
      );
      const mine = existing?.metadata?.managedFields?.find(
        (f) => f.manager === FIELD_MANAGER && f.operation === 'Apply',
      );
      const ownedRefs = appliedSection(mine, ['metadata', 'ownerReferences']);
      const refs = [
        ...(existing?.metadata?.ownerReferences ?? []).filter(
          (ref) =>
            !ownedRefs.has(JSON.stringify({ uid: ref.uid })) &&
            !manifest.metadata.ownerReferences.some((r) => r.uid === ref.uid),
        ),
        ...manifest.metadata.ownerReferences,
      ];
      const fieldsV1: Record<string, unknown> = {
        'f:data': fieldKeys(Object.keys(manifest.data)),
        'f:metadata': {
          'f:labels': fieldKeys(Object.keys(manifest.metadata.labels)),
          ...(manifest.metadata.annotations
            ? { 'f:annotations': fieldKeys(Object.keys(manifest.metadata.annotations)) }
            : {}),
          'f:ownerReferences': Object.fromEntries(
            manifest.metadata.ownerReferences.map((r) => [`k:${JSON.stringify({ uid: r.uid })}`, {}]),
          ),
        },
        'f:type': {},
      };
      const annotations = applyMap(
        existing?.metadata?.annotations,
        appliedSection(mine, ['metadata', 'annotations']),
        manifest.metadata.annotations,
      );
      const secret: V1Secret = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name,
          namespace,
          uid: existing?.metadata?.uid ?? randomUUID(),
          resourceVersion: this.nextVersion(),
          labels: applyMap(
            existing?.metadata?.labels,
            appliedSection(mine, ['metadata', 'labels']),
            manifest.metadata.labels,
          ),
          ...(Object.keys(annotations).length ? { annotations } : {}),
          ownerReferences: refs,
          managedFields: [
            ...others,
            {
              manager: FIELD_MANAGER,
              operation: 'Apply',
              apiVersion: 'v1',
              fieldsType: 'FieldsV1',
              fieldsV1,
            },
          ],
        },
        type: manifest.type,
        data: applyMap(existing?.data, appliedSection(mine, ['data']), manifest.data),
      };
      this.secrets.set(key, secret);
    });
  }

  deleteSecret(namespace: string, name: string): Promise<void> {
    this.secrets.delete(keyOf(namespace, name));
    return Promise.resolve();
  }

  // ---- internals ----

  private nextVersion(): string {
    return String(++this.version);
  }

  private stored(namespace: string, name: string): StoredResource {
    const stored = this.resources.get(keyOf(namespace, name));
    if (!stored) throw apiError(404, 'NotFound', `${keyOf(namespace, name)} not found`);
    return stored;
  }

  /** The stored resource a write of `resource` goes to: 404 when gone, 409 for a stale copy. */
  private current(resource: LogtoApplication): StoredResource {
    const stored = this.stored(resource.metadata.namespace, resource.metadata.name);
    const expected = resource.metadata.resourceVersion;
    if (expected && expected !== stored.object.metadata.resourceVersion) {
      throw apiError(
        409,
        'Conflict',
        'the object has been modified; please apply your changes to the latest version',
      );
    }
    return stored;
  }

  private collectIfFinalized(stored: StoredResource): void {
    const { metadata } = stored.object;
    if (metadata.deletionTimestamp && !metadata.finalizers?.length) {
      this.resources.delete(keyOf(metadata.namespace, metadata.name));
    }
  }

  /** Runs a write, naming it in the error as KubernetesOperations does. */
  private operation<T>(name: string, write: () => T): Promise<T> {
    try {
      return Promise.resolve(write());
    } catch (error) {
      return Promise.reject(new KubernetesOperationError(name, error));
    }
  }
}

function nameOf(resource: LogtoApplication): string {
  return `${resource.metadata.namespace}/${resource.metadata.name}`;
}
