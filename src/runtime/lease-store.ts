/** The leader election record in a coordination.k8s.io/v1 Lease, through `@kubernetes/client-node`. */
import { CoordinationV1Api, V1MicroTime, type V1Lease, type V1ObjectMeta } from '@kubernetes/client-node';
import { httpStatusOf } from './errors.js';
import { withRequestSignal, type KubeClient } from '../kube/client.js';
import {
  LeaseConflictError,
  type LeaseRecord,
  type LeaseStore,
  type StoredLease,
} from './leader-election.js';

const FIELD_MANAGER = 'logto-operator';

/** The generated client leaves MicroTime fields as the strings it received. */
function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return value;
  if (typeof value !== 'string' || value === '') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** MicroTime is serialised with microseconds, as the API server expects. */
function microTime(date: Date | undefined): V1MicroTime | undefined {
  return date ? new V1MicroTime(date.getTime()) : undefined;
}

export class KubernetesLeaseStore implements LeaseStore {
  readonly description: string;
  private readonly api: CoordinationV1Api;
  /** Metadata of the Lease as last seen, so that updates keep its labels and annotations. */
  private lastMetadata: V1ObjectMeta | undefined;

  constructor(
    kube: KubeClient,
    private readonly namespace: string,
    private readonly name: string,
  ) {
    this.api = kube.api(CoordinationV1Api);
    this.description = `${namespace}/${name}`;
  }

  async get(signal: AbortSignal): Promise<StoredLease | undefined> {
    try {
      return this.remember(
        await this.api.readNamespacedLease(
          { namespace: this.namespace, name: this.name },
          withRequestSignal(signal),
        ),
      );
    } catch (err) {
      if (httpStatusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async create(record: LeaseRecord, signal: AbortSignal): Promise<StoredLease> {
    try {
      const body: V1Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.name, namespace: this.namespace },
        spec: this.spec(record),
      };
      return this.remember(
        await this.api.createNamespacedLease(
          { namespace: this.namespace, body, fieldManager: FIELD_MANAGER },
          withRequestSignal(signal),
        ),
      );
    } catch (err) {
      if (httpStatusOf(err) === 409) throw new LeaseConflictError('the Lease was created concurrently');
      throw err;
    }
  }

  async update(record: LeaseRecord, resourceVersion: string, signal: AbortSignal): Promise<StoredLease> {
    const known = this.lastMetadata?.resourceVersion === resourceVersion ? this.lastMetadata : undefined;
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      // resourceVersion makes the replace a compare-and-swap: 409 Conflict if anyone wrote in between.
      metadata: { ...known, name: this.name, namespace: this.namespace, resourceVersion },
      spec: this.spec(record),
    };
    try {
      return this.remember(
        await this.api.replaceNamespacedLease(
          { namespace: this.namespace, name: this.name, body, fieldManager: FIELD_MANAGER },
          withRequestSignal(signal),
        ),
      );
    } catch (err) {
      if (httpStatusOf(err) === 409) throw new LeaseConflictError();
      throw err;
    }
  }

  private spec(record: LeaseRecord): V1Lease['spec'] {
    return {
      holderIdentity: record.holderIdentity,
      leaseDurationSeconds: record.leaseDurationSeconds,
      acquireTime: microTime(record.acquireTime),
      renewTime: microTime(record.renewTime),
      leaseTransitions: record.leaseTransitions,
    };
  }

  private remember(lease: V1Lease): StoredLease {
    this.lastMetadata = lease.metadata;
    const spec = lease.spec ?? {};
    return {
      resourceVersion: lease.metadata?.resourceVersion ?? '',
      record: {
        holderIdentity: spec.holderIdentity ?? '',
        leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
        acquireTime: toDate(spec.acquireTime),
        renewTime: toDate(spec.renewTime),
        leaseTransitions: spec.leaseTransitions ?? 0,
      },
    };
  }
}
