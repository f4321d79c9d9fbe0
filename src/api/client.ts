/**
 * The Logto Management API client: one method per operation of the table (the Applications API, API
 * resources with their scopes, roles), named after it, typed with our schemas of Logto's entities, and
 * driven by the operations table.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { LogtoDirectory } from './directory.js';
import { LogtoApiError } from './errors.js';
import { isReservedManagementIndicator } from './management-api.js';
import {
  expandPath,
  operations,
  type OperationName,
  type OperationPathParams,
  type OperationQuery,
  type OperationRequest,
  type Operations,
} from './operations.js';
import { schemaIssues } from './schemas.js';
import type {
  AccessControl,
  Application,
  ApplicationDetails,
  ApplicationOrganization,
  ApplicationSecret,
  ApplicationSignInExperience,
  AssignApplicationRolesResult,
  CreatedResource,
  CreateResourceRequest,
  CreateResourceScopeRequest,
  CreateRoleRequest,
  CustomDomain,
  LegacySecretDeletionResult,
  Resource,
  ResourceListItem,
  ResourceScope,
  Role,
  RoleListItem,
  RoleScope,
  RoleType,
  UpdateResourceRequest,
  UpdateResourceScopeRequest,
  UpdateRoleRequest,
  UserConsentOrganizations,
  UserConsentScopes,
} from './schemas.js';
import type { LogtoResponse, LogtoTransport, QueryValue } from './transport.js';

/**
 * Calls whose repetition after an unknown outcome could create a duplicate, or be refused because the
 * first attempt did its work (the natural keys of resources, scopes and roles: a repeat answers 422
 * `…_in_use`, `scope.name_exists`, `role.scope_exists`, which would read as a refusal of the desired
 * state). They are retried only when the server certainly did nothing (429, connection refused);
 * everything else replaces, reads or deletes, so repeating it is harmless.
 */
const NOT_IDEMPOTENT: ReadonlySet<OperationName> = new Set([
  'create_application',
  'create_application_secret',
  'create_application_protected_app_metadata_custom_domain',
  'create_resource',
  'create_resource_scope',
  'create_role',
  'assign_role_scopes',
]);

/** Search parameters of list calls, e.g. `{ 'search.name': 'web', 'mode.name': 'exact' }`. */
export type SearchParams = Record<string, string>;

type SuccessBody<N extends OperationName> = {
  [S in keyof Operations[N]['responses']]: S extends 200 | 201 | 204
    ? Operations[N]['responses'][S] extends infer R extends TSchema
      ? Static<R>
      : undefined
    : never;
}[keyof Operations[N]['responses']];

export interface CallArguments<N extends OperationName> {
  params?: OperationPathParams<N>;
  query?: OperationQuery<N> | Record<string, QueryValue>;
  search?: SearchParams;
  body?: OperationRequest<N>;
}

/**
 * The most pages any list is followed through (Logto's pages hold at most 100). A server whose
 * `Total-Number` keeps growing, or lies, must not keep a worker listing forever.
 */
export const MAX_LIST_PAGES = 1_000;

export interface Page<T> {
  items: T[];
  /** The Total-Number header: all items over all pages. */
  total: number;
}

/** The page asked for: `page` from 1, `page_size` 1 to 100 (the operator pages with 100). */
export interface PageQuery {
  page: number;
  page_size: number;
}

export interface PagingOptions {
  /** Items asked for per page (Logto allows 1 to 100). Default 100. */
  pageSize?: number;
  /** Pages followed at most before the list counts as broken. Default MAX_LIST_PAGES. */
  maxPages?: number;
}

/**
 * Follows a paged list to its end: a short page, or as many items as its total says. Every list of
 * the operator goes through here, so that none stops silently (Logto cuts some lists at 20 items
 * when no page size is asked for) and none goes on forever: past `maxPages` pages it fails
 * (operator.unexpected_response, naming the limit) rather than act on a part of the list.
 */
export async function forEachPage<T>(
  operation: string,
  readPage: (page: number, pageSize: number) => Promise<Page<T> | T[]>,
  onPage: (items: T[], page: number) => void | Promise<void>,
  options: PagingOptions = {},
): Promise<number> {
  const pageSize = options.pageSize ?? 100;
  const maxPages = options.maxPages ?? MAX_LIST_PAGES;
  for (let page = 1; ; page++) {
    if (page > maxPages) {
      throw new LogtoApiError({
        operation,
        code: 'operator.unexpected_response',
        detail: `the list did not end within ${maxPages} pages of ${pageSize}`,
      });
    }
    const answer = await readPage(page, pageSize);
    const { items, total } = Array.isArray(answer) ? { items: answer, total: Infinity } : answer;
    await onPage(items, page);
    if (items.length < pageSize || page * pageSize >= total) return page;
  }
}

/** Every item of a paged list (see forEachPage). */
export async function listAll<T>(
  operation: string,
  readPage: (page: number, pageSize: number) => Promise<Page<T> | T[]>,
  options: PagingOptions = {},
): Promise<T[]> {
  const all: T[] = [];
  await forEachPage(operation, readPage, (items) => void all.push(...items), options);
  return all;
}

export class LogtoClient {
  /** Name-to-id lookups of roles, API resources and organization scopes (cached briefly). */
  readonly directory: LogtoDirectory;

  constructor(private readonly transport: LogtoTransport) {
    this.directory = new LogtoDirectory(transport);
  }

  /** Sends one operation and checks the answer against our schema of it. */
  async call<N extends OperationName>(
    name: N,
    args: CallArguments<N> = {},
  ): Promise<{ body: SuccessBody<N>; response: LogtoResponse }> {
    const spec = operations[name];
    const path = expandPath(spec.path, (args.params ?? {}) as never);
    const response = await this.transport.send({
      operation: name,
      method: spec.method,
      path,
      query: { ...((args.query ?? {}) as Record<string, QueryValue>), ...(args.search ?? {}) },
      ...(args.body !== undefined ? { body: args.body } : {}),
      idempotent: !NOT_IDEMPOTENT.has(name),
    });
    const schema = (spec.responses as Record<number, TSchema | null | undefined>)[response.status];
    if (schema) {
      const issues = schemaIssues(schema, response.body, 3);
      if (issues.length > 0) {
        throw new LogtoApiError({
          operation: name,
          status: response.status,
          code: 'operator.unexpected_response',
          detail: `answer does not match the expected schema: ${issues.map((i) => `${i.path || '/'} ${i.message}`).join('; ')}`,
        });
      }
    }
    return { body: response.body as SuccessBody<N>, response };
  }

  private async body<N extends OperationName>(name: N, args: CallArguments<N> = {}): Promise<SuccessBody<N>> {
    return (await this.call(name, args)).body;
  }

  private async page<N extends OperationName, T>(name: N, args: CallArguments<N>): Promise<Page<T>> {
    const { body, response } = await this.call(name, args);
    const items = body as unknown as T[];
    const header = Number(response.headers['total-number']);
    return { items, total: Number.isFinite(header) ? header : items.length };
  }

  // Applications

  createApplication(body: OperationRequest<'create_application'>): Promise<Application> {
    return this.body('create_application', { body });
  }

  getApplication(id: string): Promise<ApplicationDetails> {
    return this.body('get_application', { params: { id } });
  }

  /** One page of applications, with the total count. */
  listApplicationsPage(
    query: OperationQuery<'list_applications'> & { page: number; page_size: number },
    search?: SearchParams,
  ): Promise<Page<Application>> {
    return this.page('list_applications', { query, ...(search ? { search } : {}) });
  }

  updateApplication(id: string, body: OperationRequest<'update_application'>): Promise<Application> {
    return this.body('update_application', { params: { id }, body });
  }

  async deleteApplication(id: string): Promise<void> {
    await this.call('delete_application', { params: { id } });
  }

  // Secrets

  listApplicationSecrets(id: string): Promise<ApplicationSecret[]> {
    return this.body('list_application_secrets', { params: { id } });
  }

  createApplicationSecret(
    id: string,
    body: OperationRequest<'create_application_secret'>,
  ): Promise<ApplicationSecret> {
    return this.body('create_application_secret', { params: { id }, body });
  }

  async deleteApplicationSecret(id: string, name: string): Promise<void> {
    await this.call('delete_application_secret', { params: { id, name } });
  }

  deleteApplicationLegacySecret(id: string): Promise<LegacySecretDeletionResult> {
    return this.body('delete_application_legacy_secret', { params: { id } });
  }

  // API resource roles

  listApplicationRoles(
    id: string,
    query: OperationQuery<'list_application_roles'> = {},
  ): Promise<Page<Role>> {
    return this.page('list_application_roles', {
      params: { id },
      query: { page: 1, page_size: 100, ...query },
    });
  }

  assignApplicationRoles(id: string, roleIds: string[]): Promise<AssignApplicationRolesResult> {
    return this.body('assign_application_roles', { params: { id }, body: { roleIds } });
  }

  async deleteApplicationRole(id: string, roleId: string): Promise<void> {
    await this.call('delete_application_role', { params: { id, roleId } });
  }

  // User consent (third-party applications)

  listApplicationUserConsentScopes(id: string): Promise<UserConsentScopes> {
    return this.body('list_application_user_consent_scopes', { params: { id } });
  }

  async createApplicationUserConsentScope(
    id: string,
    body: OperationRequest<'create_application_user_consent_scope'>,
  ): Promise<void> {
    await this.call('create_application_user_consent_scope', { params: { id }, body });
  }

  async deleteApplicationUserConsentScope(id: string, scopeType: string, scopeId: string): Promise<void> {
    await this.call('delete_application_user_consent_scope', { params: { id, scopeType, scopeId } });
  }

  listApplicationUserConsentOrganizations(
    id: string,
    userId: string,
    query: OperationQuery<'list_application_user_consent_organizations'> = {},
  ): Promise<UserConsentOrganizations> {
    return this.body('list_application_user_consent_organizations', { params: { id, userId }, query });
  }

  async replaceApplicationUserConsentOrganizations(
    id: string,
    userId: string,
    organizationIds: string[],
  ): Promise<void> {
    await this.call('replace_application_user_consent_organizations', {
      params: { id, userId },
      body: { organizationIds },
    });
  }

  // Application-level sign-in experience

  getApplicationSignInExperience(id: string): Promise<ApplicationSignInExperience> {
    return this.body('get_application_sign_in_experience', { params: { id } });
  }

  replaceApplicationSignInExperience(
    id: string,
    body: OperationRequest<'replace_application_sign_in_experience'>,
  ): Promise<ApplicationSignInExperience> {
    return this.body('replace_application_sign_in_experience', { params: { id }, body });
  }

  // Protected apps

  listApplicationProtectedAppMetadataCustomDomains(id: string): Promise<CustomDomain[]> {
    return this.body('list_application_protected_app_metadata_custom_domains', { params: { id } });
  }

  async createApplicationProtectedAppMetadataCustomDomain(id: string, domain: string): Promise<void> {
    await this.call('create_application_protected_app_metadata_custom_domain', {
      params: { id },
      body: { domain },
    });
  }

  async deleteApplicationProtectedAppMetadataCustomDomain(id: string, domain: string): Promise<void> {
    await this.call('delete_application_protected_app_metadata_custom_domain', { params: { id, domain } });
  }

  // Organizations and access control

  listApplicationOrganizations(
    id: string,
    query: OperationQuery<'list_application_organizations'> = { page: 1, page_size: 100 },
  ): Promise<Page<ApplicationOrganization>> {
    return this.page('list_application_organizations', { params: { id }, query });
  }

  getApplicationAccessControl(id: string): Promise<AccessControl> {
    return this.body('get_application_access_control', { params: { id } });
  }

  replaceApplicationAccessControl(
    id: string,
    body: OperationRequest<'replace_application_access_control'>,
  ): Promise<AccessControl> {
    return this.body('replace_application_access_control', { params: { id }, body });
  }

  // API resources

  /**
   * Creates an API resource (answered with `scopes: []`). Refuses, without calling Logto, an indicator
   * Logto would take for its Management API: it could never be changed or deleted again.
   */
  async createResource(body: CreateResourceRequest): Promise<CreatedResource> {
    if (isReservedManagementIndicator(body.indicator)) {
      throw new LogtoApiError({
        operation: 'create_resource',
        code: 'operator.reserved_indicator',
        detail: `the indicator ${body.indicator} is reserved for Logto's Management API: Logto refuses to change or delete a resource with it`,
        kind: 'Rejected',
      });
    }
    return this.body('create_resource', { body });
  }

  /** The resource, without its scopes. */
  getResource(id: string): Promise<Resource> {
    return this.body('get_resource', { params: { id } });
  }

  /** One page of API resources (each with its scopes when `includeScopes`), with the total count. */
  listResourcesPage(query: PageQuery & { includeScopes?: boolean }): Promise<Page<ResourceListItem>> {
    const { includeScopes, ...page } = query;
    return this.page('list_resources', {
      query: { ...page, ...(includeScopes === undefined ? {} : { includeScopes: String(includeScopes) }) },
    });
  }

  /** `name` and `accessTokenTtl` only: Logto keeps a resource's indicator for good. */
  updateResource(id: string, body: UpdateResourceRequest): Promise<Resource> {
    return this.body('update_resource', { params: { id }, body });
  }

  /** Deletes the resource and its scopes, which Logto takes from every role holding them. */
  async deleteResource(id: string): Promise<void> {
    await this.call('delete_resource', { params: { id } });
  }

  // Scopes of an API resource

  /** One page of a resource's scopes. An unknown resource is an empty list, not an error. */
  listResourceScopesPage(resourceId: string, query: PageQuery): Promise<Page<ResourceScope>> {
    return this.page('list_resource_scopes', { params: { resourceId }, query });
  }

  createResourceScope(resourceId: string, body: CreateResourceScopeRequest): Promise<ResourceScope> {
    return this.body('create_resource_scope', { params: { resourceId }, body });
  }

  /**
   * Logto does not check that the scope belongs to `resourceId` (it changes it wherever it is), but
   * checks a new name against that resource's scopes: pass the scope's own resource.
   */
  updateResourceScope(
    resourceId: string,
    scopeId: string,
    body: UpdateResourceScopeRequest,
  ): Promise<ResourceScope> {
    return this.body('update_resource_scope', { params: { resourceId, scopeId }, body });
  }

  /** Takes the scope from every role too. Like the update, Logto ignores which resource it is of. */
  async deleteResourceScope(resourceId: string, scopeId: string): Promise<void> {
    await this.call('delete_resource_scope', { params: { resourceId, scopeId } });
  }

  // Roles

  /** Creates a role without scopes (Logto answers 200); add them with assignRoleScopes. */
  createRole(body: CreateRoleRequest): Promise<Role> {
    return this.body('create_role', { body });
  }

  getRole(id: string): Promise<Role> {
    return this.body('get_role', { params: { id } });
  }

  /**
   * One page of roles, with the total count. `exactName` asks for the role of that name, compared
   * case-sensitively (Logto's name search ignores case otherwise).
   */
  listRolesPage(query: PageQuery & { type?: RoleType; exactName?: string }): Promise<Page<RoleListItem>> {
    const { exactName, ...rest } = query;
    const search =
      exactName === undefined
        ? undefined
        : { 'search.name': exactName, 'mode.name': 'exact', isCaseSensitive: 'true' };
    return this.page('list_roles', { query: rest, ...(search ? { search } : {}) });
  }

  /** `name` and `description` only: a role's type cannot change. */
  updateRole(id: string, body: UpdateRoleRequest): Promise<Role> {
    return this.body('update_role', { params: { id }, body });
  }

  /** Deletes the role, which Logto also takes from every application holding it. */
  async deleteRole(id: string): Promise<void> {
    await this.call('delete_role', { params: { id } });
  }

  /** One page of a role's scopes, each with its resource. */
  listRoleScopesPage(roleId: string, query: PageQuery): Promise<Page<RoleScope>> {
    return this.page('list_role_scopes', { params: { id: roleId }, query });
  }

  /**
   * Links scopes to a role; resolves to every scope the role then holds (without their resources).
   * Duplicates are dropped before sending (Logto answers 500 to an id given twice); an empty list is
   * refused here (Logto refuses it too). Logto links nothing when it refuses one id (unknown: 404,
   * linked already: 422 `role.scope_exists`).
   */
  async assignRoleScopes(roleId: string, scopeIds: readonly string[]): Promise<ResourceScope[]> {
    const unique = [...new Set(scopeIds)];
    if (unique.length === 0) {
      throw new Error('assignRoleScopes needs at least one scope id: Logto refuses an empty list');
    }
    const body = await this.body('assign_role_scopes', {
      params: { id: roleId },
      body: { scopeIds: unique },
    });
    // The document also lists a 200 without a body, which the server does not answer.
    if (body === undefined) {
      throw new LogtoApiError({
        operation: 'assign_role_scopes',
        status: 200,
        code: 'operator.unexpected_response',
        detail: "answer has no body: expected the role's scopes",
      });
    }
    return body;
  }

  /** Unlinks a scope from a role; 404 `entity.not_found` when it is not linked. */
  async deleteRoleScope(roleId: string, scopeId: string): Promise<void> {
    await this.call('delete_role_scope', { params: { id: roleId, scopeId } });
  }
}
