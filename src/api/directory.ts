/**
 * Read-only lookups outside the Applications API that a spec needs to name things by name: API
 * resource roles, API resources and their scopes, organization scopes. Answers are cached for a
 * short time, so that a burst of reconciles does not list the same directory over and over.
 */
import type { TSchema } from '@sinclair/typebox';
import { LogtoApiError, isNotFound } from './errors.js';
import {
  OrganizationScope,
  ResourceListItem,
  ResourceScope,
  Role,
  RoleListItem,
  schemaIssues,
  type OrganizationScope as OrganizationScopeType,
  type ResourceListItem as ResourceListItemType,
  type ResourceScope as ResourceScopeType,
  type Role as RoleType,
} from './schemas.js';
import type { LogtoTransport } from './transport.js';
import { Type } from '@sinclair/typebox';

const PAGE_SIZE = 100;
const MAX_PAGES = 50;

interface Cached<T> {
  value: Promise<T>;
  expiresAt: number;
}

export class LogtoDirectory {
  private readonly cache = new Map<string, Cached<unknown>>();

  constructor(
    private readonly transport: LogtoTransport,
    private readonly ttlMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** A role by exact name, else by id; undefined when neither exists. */
  async findRole(nameOrId: string): Promise<RoleType | undefined> {
    return this.cached(`role:${nameOrId}`, async () => {
      const byName = await this.get('list_roles', '/api/roles', Type.Array(RoleListItem), {
        'search.name': nameOrId,
        'mode.name': 'exact',
        isCaseSensitive: 'true',
        page: 1,
        page_size: 20,
      });
      const exact = byName.filter((role) => role.name === nameOrId);
      if (exact[0]) return exact[0];
      try {
        return await this.get('get_role', `/api/roles/${encodeURIComponent(nameOrId)}`, Role);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    });
  }

  /** Every API resource with its scopes. */
  resources(): Promise<ResourceListItemType[]> {
    return this.cached('resources', () =>
      this.allPages('list_resources', '/api/resources', ResourceListItem, { includeScopes: 'true' }),
    );
  }

  /** An API resource by indicator or id, with its scopes. */
  async findResource(
    indicatorOrId: string,
  ): Promise<(ResourceListItemType & { scopes: ResourceScopeType[] }) | undefined> {
    const all = await this.resources();
    const resource =
      all.find((r) => r.indicator === indicatorOrId) ?? all.find((r) => r.id === indicatorOrId);
    if (!resource) return undefined;
    const scopes =
      resource.scopes ??
      (await this.cached(`scopes:${resource.id}`, () =>
        this.allPages(
          'list_resource_scopes',
          `/api/resources/${encodeURIComponent(resource.id)}/scopes`,
          ResourceScope,
        ),
      ));
    return { ...resource, scopes };
  }

  organizationScopes(): Promise<OrganizationScopeType[]> {
    return this.cached('organization-scopes', () =>
      this.allPages('list_organization_scopes', '/api/organization-scopes', OrganizationScope),
    );
  }

  /** Forgets cached answers (after a lookup found nothing, the next pass asks again). */
  invalidate(): void {
    this.cache.clear();
  }

  private cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.cache.get(key);
    if (hit && hit.expiresAt > this.now()) return hit.value as Promise<T>;
    const value = load();
    this.cache.set(key, { value, expiresAt: this.now() + this.ttlMs });
    value.catch(() => this.cache.delete(key));
    return value;
  }

  private async allPages<S extends TSchema>(
    operation: string,
    path: string,
    item: S,
    query: Record<string, string> = {},
  ): Promise<S['static'][]> {
    const items: S['static'][] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const batch = await this.get(operation, path, Type.Array(item), {
        ...query,
        page,
        page_size: PAGE_SIZE,
      });
      items.push(...batch);
      if (batch.length < PAGE_SIZE) break;
    }
    return items;
  }

  private async get<S extends TSchema>(
    operation: string,
    path: string,
    schema: S,
    query: Record<string, string | number> = {},
  ): Promise<S['static']> {
    const { body, status } = await this.transport.send({
      operation,
      method: 'GET',
      path,
      query,
      idempotent: true,
    });
    const issues = schemaIssues(schema, body, 3);
    if (issues.length > 0) {
      throw new LogtoApiError({
        operation,
        status,
        code: 'operator.unexpected_response',
        detail: `answer does not match the expected schema: ${issues.map((i) => `${i.path || '/'} ${i.message}`).join('; ')}`,
      });
    }
    return body as S['static'];
  }
}
