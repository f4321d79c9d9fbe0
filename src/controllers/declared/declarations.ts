/**
 * What the cluster declares, as the passes of every kind need it: whose a marked Logto role or API
 * resource is (the token holders), what grants allow, and declarations not yet made in Logto. Read
 * from the informers' caches only.
 */
import type { LogtoApiResource } from '../../crd/logto-api-resource.js';
import type { LogtoGrant } from '../../crd/logto-grant.js';
import type { LogtoRole } from '../../crd/logto-role.js';
import { API_RESOURCE_REFERENCE, mayUse, ROLE_REFERENCE } from './grants.js';
import { SealHolders, type Holder } from './holders.js';
import { readMarker } from './marker.js';

export interface DeclarationSources {
  grants(namespace: string): readonly LogtoGrant[];
  roles(): readonly LogtoRole[];
  apiResources(): readonly LogtoApiResource[];
  apiResource(namespace: string, name: string): LogtoApiResource | undefined;
}

/** The Logto name a LogtoRole declares. */
export function roleNameOf(role: Pick<LogtoRole, 'metadata' | 'spec'>): string {
  return role.spec.name ?? role.metadata.name;
}

export class Declarations {
  readonly roleHolders = new SealHolders();
  readonly apiResourceHolders = new SealHolders();

  constructor(readonly sources: DeclarationSources) {}

  /** The LogtoRole a Logto role's description marks it as declared by. */
  roleOwner(description: string | null | undefined): Holder | undefined {
    return this.roleHolders.holder(readMarker(description).seal);
  }

  /** The LogtoApiResource a Logto API resource's name marks it as declared by. */
  apiResourceOwner(name: string | null | undefined): Holder | undefined {
    return this.apiResourceHolders.holder(readMarker(name).seal);
  }

  mayUseRole(namespace: string, owner: Holder): boolean {
    return mayUse(
      { namespace, owner: { kind: ROLE_REFERENCE, namespace: owner.namespace, name: owner.name } },
      this.sources.grants(owner.namespace),
    );
  }

  mayUseScopes(namespace: string, owner: Holder, scopes: readonly string[]): boolean {
    return mayUse(
      {
        namespace,
        owner: { kind: API_RESOURCE_REFERENCE, namespace: owner.namespace, name: owner.name },
        scopes,
      },
      this.sources.grants(owner.namespace),
    );
  }

  /**
   * A LogtoRole that `namespace` may use, declaring the role `name`, that has not made it yet (not
   * created, or not yet renamed to it): a pass naming the role waits for it rather than being
   * refused. Roles the namespace may not use count as undeclared, so the answer tells nothing about
   * other namespaces.
   */
  pendingRole(namespace: string, name: string): LogtoRole | undefined {
    return this.sources
      .roles()
      .find(
        (role) =>
          roleNameOf(role) === name &&
          !role.metadata.deletionTimestamp &&
          (!role.status?.roleId || role.status.name !== name) &&
          this.mayUseRole(namespace, role.metadata),
      );
  }

  /** As pendingRole, for a LogtoApiResource of that indicator and the scopes wanted. */
  pendingApiResource(
    namespace: string,
    indicator: string,
    scopes: readonly string[],
  ): LogtoApiResource | undefined {
    return this.sources
      .apiResources()
      .find(
        (resource) =>
          resource.spec.indicator === indicator &&
          !resource.metadata.deletionTimestamp &&
          this.mayUseScopes(namespace, resource.metadata, scopes),
      );
  }
}
