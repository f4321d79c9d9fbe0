/**
 * Read-only lookups outside the Applications API that a spec needs to name things by name: API
 * resource roles, API resources and their scopes, organization scopes. Answers are cached for a
 * short time, so that a burst of reconciles does not list the same directory over and over; a
 * reconcile pass looks through `forPass()`, which reads again before reporting a name missing.
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
import { listAll } from './client.js';
import type { LogtoTransport } from './transport.js';
import { Type } from '@sinclair/typebox';

const PAGE_SIZE = 100;

interface Cached<T> {
  value: Promise<T>;
  expiresAt: number;
  /** Which load this was (see LogtoDirectory.loads): tells loads of the current pass from older ones. */
  load: number;
}

/** `freshAfter`: reuse a cached answer only if it was loaded after that load number. */
interface Freshness {
  freshAfter?: number;
}

/** Entities that access-control rules name by id. */
export type EntityKind = 'user' | 'role' | 'organization' | 'organization-role';
const EntityRef = Type.Object({ id: Type.String(), type: Type.Optional(Type.String()) });

export type ResourceWithScopes = ResourceListItemType & { scopes: ResourceScopeType[] };

export class LogtoDirectory {
  private readonly cache = new Map<string, Cached<unknown>>();
  /** Loads started so far; a pass remembers the count it began with. */
  private loads = 0;

  constructor(
    private readonly transport: LogtoTransport,
    private readonly ttlMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** A role by exact name, else by id; undefined when neither exists. */
  async findRole(nameOrId: string, freshness: Freshness = {}): Promise<RoleType | undefined> {
    return this.cached(`role:${nameOrId}`, freshness, async () => {
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
  resources(freshness: Freshness = {}): Promise<ResourceListItemType[]> {
    return this.cached('resources', freshness, () =>
      this.allPages('list_resources', '/api/resources', ResourceListItem, { includeScopes: 'true' }),
    );
  }

  /** An API resource by indicator or id, with its scopes. */
  async findResource(
    indicatorOrId: string,
    freshness: Freshness = {},
  ): Promise<ResourceWithScopes | undefined> {
    const all = await this.resources(freshness);
    const resource =
      all.find((r) => r.indicator === indicatorOrId) ?? all.find((r) => r.id === indicatorOrId);
    if (!resource) return undefined;
    const scopes =
      resource.scopes ??
      (await this.cached(`scopes:${resource.id}`, freshness, () =>
        this.allPages(
          'list_resource_scopes',
          `/api/resources/${encodeURIComponent(resource.id)}/scopes`,
          ResourceScope,
        ),
      ));
    return { ...resource, scopes };
  }

  /** The API resource scopes a role carries (each with its resource id). */
  roleScopes(roleId: string, freshness: Freshness = {}): Promise<ResourceScopeType[]> {
    return this.cached(`role-scopes:${roleId}`, freshness, () =>
      this.allPages('list_role_scopes', `/api/roles/${encodeURIComponent(roleId)}/scopes`, ResourceScope),
    );
  }

  organizationScopes(freshness: Freshness = {}): Promise<OrganizationScopeType[]> {
    return this.cached('organization-scopes', freshness, () =>
      this.allPages('list_organization_scopes', '/api/organization-scopes', OrganizationScope),
    );
  }

  /**
   * Reads one user, role, organization or organization role by id, uncached: used to tell which of
   * the ids Logto refused exist (a refusal does not say which). Undefined when it does not exist.
   */
  async entityById(kind: EntityKind, id: string): Promise<{ id: string; type?: string } | undefined> {
    try {
      return await this.get(
        `get_${kind.replace('-', '_')}`,
        `/api/${kind}s/${encodeURIComponent(id)}`,
        EntityRef,
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * The lookups of one reconcile pass. Hits come from the cache; a name the cache does not know is
   * read again from Logto before the pass calls it missing (a role, resource or scope created a
   * moment ago must not look absent), at most once per cached list or role name per pass.
   */
  forPass(): DirectoryPass {
    return new DirectoryPass(this, this.loads);
  }

  private cached<T>(key: string, freshness: Freshness, load: () => Promise<T>): Promise<T> {
    const hit = this.cache.get(key);
    const fresh = hit && (freshness.freshAfter === undefined || hit.load > freshness.freshAfter);
    if (hit && fresh && hit.expiresAt > this.now()) return hit.value as Promise<T>;
    const value = load();
    const entry = { value, expiresAt: this.now() + this.ttlMs, load: ++this.loads };
    this.cache.set(key, entry);
    value.catch(() => {
      if (this.cache.get(key) === entry) this.cache.delete(key);
    });
    return value;
  }

  private async allPages<S extends TSchema>(
    operation: string,
    path: string,
    item: S,
    query: Record<string, string> = {},
  ): Promise<S['static'][]> {
    return listAll(
      operation,
      (page, pageSize) =>
        this.get(operation, path, Type.Array(item), { ...query, page, page_size: pageSize }),
      { pageSize: PAGE_SIZE },
    );
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

/** See LogtoDirectory.forPass. */
export class DirectoryPass {
  constructor(
    private readonly directory: LogtoDirectory,
    /** Loads up to this number happened before the pass: a miss in their answers is read again. */
    private readonly startedAfterLoad: number,
  ) {}

  private get fresh(): Freshness {
    return { freshAfter: this.startedAfterLoad };
  }

  /** A role by exact name, else by id; undefined when neither exists, even after a fresh read. */
  async findRole(nameOrId: string): Promise<RoleType | undefined> {
    return (await this.directory.findRole(nameOrId)) ?? this.directory.findRole(nameOrId, this.fresh);
  }

  /**
   * An API resource by indicator or id, and the scopes named (by name, else id) in `scopeRefs`.
   * When the resource or one of the scopes is missing, the resources are read again first.
   */
  async findResourceScopes(
    indicatorOrId: string,
    scopeRefs: readonly string[] = [],
  ): Promise<{ resource: ResourceWithScopes | undefined; missingScopes: string[]; scopeIds: string[] }> {
    const resolve = (resource: ResourceWithScopes | undefined) => {
      const found = scopeRefs.map(
        (ref) => resource?.scopes.find((s) => s.name === ref) ?? resource?.scopes.find((s) => s.id === ref),
      );
      return {
        resource,
        missingScopes: resource ? scopeRefs.filter((_, index) => !found[index]) : [...scopeRefs],
        scopeIds: found.flatMap((scope) => (scope ? [scope.id] : [])),
      };
    };
    const cached = resolve(await this.directory.findResource(indicatorOrId));
    if (cached.resource && cached.missingScopes.length === 0) return cached;
    return resolve(await this.directory.findResource(indicatorOrId, this.fresh));
  }

  /** See LogtoDirectory.entityById. */
  entityById(kind: EntityKind, id: string): ReturnType<LogtoDirectory['entityById']> {
    return this.directory.entityById(kind, id);
  }

  /** An organization scope by name, else by id; undefined when neither exists, even after a fresh read. */
  async findOrganizationScope(nameOrId: string): Promise<OrganizationScopeType | undefined> {
    const find = (all: OrganizationScopeType[]) =>
      all.find((s) => s.name === nameOrId) ?? all.find((s) => s.id === nameOrId);
    return (
      find(await this.directory.organizationScopes()) ??
      find(await this.directory.organizationScopes(this.fresh))
    );
  }
}
