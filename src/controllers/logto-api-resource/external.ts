/**
 * The Logto side of one LogtoApiResource pass (see declared/external.ts): the API resource with the
 * spec's indicator, its name (ended with the ownership marker), token lifetime and scopes. Which API
 * resource is this object's is declared/identity.ts's decision (see declared/marked-external.ts); the
 * natural key is the indicator.
 */
import { LogtoApiError, ignoreNotFound } from '../../api/errors.js';
import { listAll } from '../../api/client.js';
import { isReservedManagementIndicator } from '../../api/management-api.js';
import type { Resource, ResourceScope } from '../../api/schemas.js';
import { mayAdoptByKey } from '../../connections/policy.js';
import { policyDenied } from '../../connections/registry.js';
import {
  DEFAULT_ACCESS_TOKEN_TTL,
  type LogtoApiResource,
  type LogtoApiResourceStatus,
} from '../../crd/logto-api-resource.js';
import { CreateRefused } from '../logto-application/external-client.js';
import { stopFromLogtoError } from '../logto-application/logto-errors.js';
import { mapped, mayHaveCreated } from '../logto-application/logto-external.js';
import { ReconcileStop } from '../logto-application/outcome.js';
import type { PassConnection } from '../logto-application/policy.js';
import { openPass, type DeclaredConnectorDependencies, type Pass } from '../declared/connector.js';
import {
  observesOnly,
  type DeclaredConnector,
  type DeclaredExternal,
  type DeclaredUpdate,
} from '../declared/external.js';
import { MarkedExternal } from '../declared/marked-external.js';
import { planScopes } from './scope-plan.js';

export const API_RESOURCE_ID_FIELD = 'resourceId';

/** The Management API is the tenant's administration: no namespace declares, observes or takes it over. */
function checkIndicator(resource: LogtoApiResource, connection: PassConnection): void {
  const { indicator } = resource.spec;
  if (indicator === connection.managementApiResource || isReservedManagementIndicator(indicator)) {
    throw policyDenied(connection.key, {
      rule: 'managementApi',
      message: `indicator ${indicator} is the Management API's (or reserved for it); no LogtoApiResource may declare it`,
    });
  }
}

export class ApiResourceConnector implements DeclaredConnector<LogtoApiResource, LogtoApiResourceStatus> {
  constructor(private readonly deps: DeclaredConnectorDependencies) {}

  async connect(resource: LogtoApiResource): Promise<DeclaredExternal<LogtoApiResourceStatus>> {
    const pass = await openPass(resource, this.deps, (connection) => {
      if (!resource.metadata.deletionTimestamp) checkIndicator(resource, connection);
    });
    return new ApiResourceExternal(resource, this.deps, pass);
  }
}

class ApiResourceExternal
  extends MarkedExternal<Resource>
  implements DeclaredExternal<LogtoApiResourceStatus>
{
  constructor(
    protected override readonly resource: LogtoApiResource,
    deps: DeclaredConnectorDependencies,
    pass: Pass,
  ) {
    super(resource, deps, pass, {
      describe: {
        byKey: `API resource ${resource.spec.indicator}`,
        kind: 'LogtoApiResource',
        noun: 'API resource',
      },
      idField: API_RESOURCE_ID_FIELD,
      adoptionRule: 'adoption.apiResourceIndicators',
    });
  }

  protected get holders() {
    return this.deps.declarations.apiResourceHolders;
  }

  protected markedTextOf(resource: Resource): string {
    return resource.name;
  }

  protected get plainText(): string {
    return this.resource.spec.name ?? this.resource.metadata.name;
  }

  protected mayAdopt(): boolean {
    return mayAdoptByKey(this.connection.policy, 'apiResource', this.resource.spec.indicator);
  }

  protected read(id: string): Promise<Resource> {
    return this.logto.getResource(id);
  }

  /** The API resource with the spec's indicator (exact string, as Logto compares), if any. */
  protected async byKey(): Promise<Resource | undefined> {
    const all = await listAll('list_resources', (page, pageSize) =>
      this.logto.listResourcesPage({ page, page_size: pageSize }),
    );
    return all.find((r) => r.indicator === this.resource.spec.indicator);
  }

  protected writeText(id: string, name: string): Promise<Resource> {
    return this.logto.updateResource(id, { name });
  }

  protected remove(id: string): Promise<unknown> {
    return this.logto.deleteResource(id);
  }

  /** Only a refusal says for sure that nothing was created. */
  create(): Promise<{ id: string; message: string }> {
    return mapped(async () => {
      const { indicator, accessTokenTtl } = this.resource.spec;
      try {
        this.current = await this.logto.createResource({
          name: this.markedText,
          indicator,
          accessTokenTtl: accessTokenTtl ?? DEFAULT_ACCESS_TOKEN_TTL,
        });
      } catch (error) {
        if (!(error instanceof LogtoApiError)) throw error;
        const stop = stopFromLogtoError(error);
        // Taken meanwhile, or by this very create committed after its answer was lost: the next
        // pass finds out by the indicator.
        if (error.code === 'resource.resource_identifier_in_use' || mayHaveCreated(error)) {
          throw new ReconcileStop(
            stop.reason,
            `${stop.message}. The operator looks the indicator up again.`,
            {
              retry: true,
            },
          );
        }
        throw new CreateRefused(stop);
      }
      return { id: this.current.id, message: `created API resource ${indicator} (${this.current.id})` };
    });
  }

  update(): Promise<DeclaredUpdate<LogtoApiResourceStatus>> {
    return mapped(async () => {
      if (!this.current) throw new Error('update before observe or create');
      const observing = observesOnly(this.resource);
      if (this.takingOver) this.current = await this.takeOver(this.current);
      const id = this.current.id;
      const changes: string[] = [];
      if (!observing) {
        const name = this.markedText;
        const ttl = this.resource.spec.accessTokenTtl ?? DEFAULT_ACCESS_TOKEN_TTL;
        const patch = {
          ...(this.current.name !== name ? { name } : {}),
          ...(this.current.accessTokenTtl !== ttl ? { accessTokenTtl: ttl } : {}),
        };
        if (Object.keys(patch).length > 0) {
          this.current = await this.logto.updateResource(id, patch);
          changes.push(...Object.keys(patch));
        }
      }
      const scopes = await this.convergeScopes(id, observing, changes);
      return {
        title: `Logto API resource ${this.resource.spec.indicator}`,
        status: {
          resourceId: id,
          connection: this.connection.key,
          scopes: scopes
            .map(({ name, id: scopeId }) => ({ name, id: scopeId }))
            .sort((a, b) => a.name.localeCompare(b.name)),
        },
        ...(changes.length > 0
          ? { changes: `API resource ${this.resource.spec.indicator}: ${changes.join(', ')}` }
          : {}),
      };
    });
  }

  private async convergeScopes(id: string, observing: boolean, changes: string[]): Promise<ResourceScope[]> {
    const current = await listAll('list_resource_scopes', (page, pageSize) =>
      this.logto.listResourceScopesPage(id, { page, page_size: pageSize }),
    );
    // Read whole before acting (the list's order moves as rows change), de-duplicated by id.
    const scopes = [...new Map(current.map((scope) => [scope.id, scope])).values()];
    if (observing) return scopes;
    const plan = planScopes(scopes, this.resource.spec.scopes ?? []);
    const kept = new Map(scopes.map((scope) => [scope.id, scope]));
    for (const { name, description } of plan.create) {
      try {
        const created = await this.logto.createResourceScope(id, { name, description });
        kept.set(created.id, created);
      } catch (error) {
        // Made by an attempt whose answer was lost, or by someone meanwhile: read again next pass.
        if (error instanceof LogtoApiError && error.code === 'scope.name_exists') {
          throw new ReconcileStop(
            'LogtoRejected',
            `scope "${name}" appeared meanwhile; the operator reads the scopes again`,
            {
              retry: true,
            },
          );
        }
        throw error;
      }
      changes.push(`scope "${name}" created`);
    }
    for (const { id: scopeId, name, description } of plan.describe) {
      kept.set(scopeId, await this.logto.updateResourceScope(id, scopeId, { description }));
      changes.push(`scope "${name}" described`);
    }
    for (const { id: scopeId, name } of plan.remove) {
      await ignoreNotFound(() => this.logto.deleteResourceScope(id, scopeId));
      kept.delete(scopeId);
      changes.push(`scope "${name}" removed`);
    }
    return [...kept.values()];
  }
}
