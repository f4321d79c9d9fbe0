/**
 * The Kubernetes Secret that publishes the connection details: who owns its name, writing it only
 * when it differs, and removing the one published under a previous name.
 */
import type { LogtoApplication } from '../../crd/logto-application.js';
import { digestAppliedSecret, type SecretDigest } from '../../runtime/cache-transforms.js';
import { FIELD_MANAGER } from './constants.js';
import {
  appIdKey,
  desiredSecret,
  isOwnedBy,
  secretName,
  secretUpToDate,
  type PublishedCredentials,
} from './credentials-secret.js';
import { ReconcileStop } from './outcome.js';
import type { EventRecorder, KubeOperations } from './ports.js';

export interface SecretPublisherDependencies {
  /** The informer cache of the Secrets the operator owns (see digestAppliedSecret). */
  ownedSecrets: { get(namespace: string, name: string): SecretDigest | undefined };
  kube: Pick<KubeOperations, 'readSecret' | 'applySecret' | 'deleteSecret'>;
  events: EventRecorder;
}

/** A Secret read from the apiserver, in the form the cache keeps. */
const asCached = digestAppliedSecret(FIELD_MANAGER);

export class SecretPublisher {
  constructor(private readonly deps: SecretPublisherDependencies) {}

  /** The target Secret, if it exists and this resource owns it; stops on a Secret owned by others. */
  async ownedSecret(resource: LogtoApplication): Promise<SecretDigest | undefined> {
    const name = secretName(resource);
    const { namespace } = resource.metadata;
    const cached = this.deps.ownedSecrets.get(namespace, name);
    const existing = cached && isOwnedBy(cached, resource) ? cached : await this.read(namespace, name);
    if (existing && !isOwnedBy(existing, resource)) {
      throw new ReconcileStop(
        'SecretConflict',
        `Secret ${namespace}/${name} exists and is not owned by this LogtoApplication; it is left untouched. ` +
          'Set spec.secret.name to another name, or delete that Secret.',
        { recheckAfterMs: 60_000 },
      );
    }
    return existing;
  }

  private async read(namespace: string, name: string): Promise<SecretDigest | undefined> {
    const secret = await this.deps.kube.readSecret(namespace, name);
    return secret && asCached(secret);
  }

  /**
   * The application id the resource's Secret publishes, as written by this resource's last publication
   * (under the key the spec names now). A hint for a pass that lost status (users may edit Secrets),
   * read from the apiserver when asked: the cache keeps no values.
   */
  async publishedApplicationId(resource: LogtoApplication): Promise<string | undefined> {
    const secret = await this.deps.kube.readSecret(resource.metadata.namespace, secretName(resource));
    if (!secret || !isOwnedBy(secret, resource)) return undefined;
    const encoded = secret.data?.[appIdKey(resource)];
    return encoded ? Buffer.from(encoded, 'base64').toString('utf8') || undefined : undefined;
  }

  /** Writes the Secret unless `existing` already holds it; answers its name. */
  async publish(
    resource: LogtoApplication,
    credentials: PublishedCredentials,
    existing: SecretDigest | undefined,
  ): Promise<string> {
    const manifest = desiredSecret(resource, credentials);
    if (!existing || !secretUpToDate(existing, manifest)) {
      await this.deps.kube.applySecret(manifest);
      if (existing) {
        this.deps.events.record(
          resource,
          'Normal',
          'SecretUpdated',
          `rewrote Secret ${manifest.metadata.name}`,
        );
      }
    }
    return manifest.metadata.name;
  }

  /** After spec.secret.name changed, the Secret published under the old name goes. */
  async removeStale(resource: LogtoApplication, currentName: string): Promise<void> {
    const previous = resource.status?.secretName;
    if (!previous || previous === currentName) return;
    const { namespace } = resource.metadata;
    const old = this.deps.ownedSecrets.get(namespace, previous) ?? (await this.read(namespace, previous));
    if (old && isOwnedBy(old, resource)) await this.deps.kube.deleteSecret(namespace, previous);
  }
}
