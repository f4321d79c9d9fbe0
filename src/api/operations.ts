// The operations of the Logto Management API the operator calls: the Applications API, keyed by the
// names of the generated client (`create_application`, …), and API resources, their scopes and roles,
// named the same way (`create_resource`, …; the generated client lacks them: `inSeed: false`). One
// table drives the HTTP client, the test emulator's routing and the contract tests. `path` names the
// application id `{id}` everywhere; `openApiPath` is the key of the same operation in Logto's OpenAPI
// document (for resources and roles, `path` is that key). `responses` lists every status the server
// may answer (error statuses carry a `LogtoError` body, `null` means no body).
import { Type, type Static, type TSchema } from '@sinclair/typebox';

import {
  AccessControl,
  Application,
  ApplicationDetails,
  ApplicationOrganization,
  ApplicationRolesRequest,
  ApplicationSecret,
  ApplicationSignInExperience,
  AssignApplicationRolesResult,
  CreateApplicationRequest,
  CreateApplicationSecretRequest,
  CreateCustomDomainRequest,
  CreateUserConsentScopesRequest,
  CreatedResource,
  CreateResourceRequest,
  CreateResourceScopeRequest,
  CreateRoleRequest,
  CustomData,
  CustomDomain,
  LegacySecretDeletionResult,
  ListApplicationsQuery,
  LogtoError,
  ListResourcesQuery,
  ListRolesQuery,
  PaginationQuery,
  ReplaceAccessControlRequest,
  ReplaceApplicationSignInExperienceRequest,
  Resource,
  ResourceListItem,
  ResourceScope,
  Role,
  RoleListItem,
  RoleScope,
  RoleScopesRequest,
  UpdateApplicationRequest,
  UpdateApplicationSecretRequest,
  UpdateResourceRequest,
  UpdateResourceScopeRequest,
  UpdateRoleRequest,
  UserConsentOrganizations,
  UserConsentOrganizationsRequest,
  UserConsentScopes,
} from './schemas.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface OperationSpec {
  readonly method: HttpMethod;
  readonly path: string;
  readonly openApiPath: string;
  /** False for the operations of the OpenAPI document that the generated client lacks. */
  readonly inSeed: boolean;
  readonly request?: TSchema;
  readonly query?: TSchema;
  /** Accepts Logto's search parameters (`search.<field>`, `mode.<field>`, `joint`, `isCaseSensitive`). */
  readonly search?: boolean;
  readonly responses: Readonly<Record<number, TSchema | null>>;
}

const err = LogtoError;

export const operations = {
  assign_application_roles: {
    method: 'POST',
    path: '/api/applications/{id}/roles',
    openApiPath: '/api/applications/{applicationId}/roles',
    inSeed: true,
    request: ApplicationRolesRequest,
    responses: { 201: AssignApplicationRolesResult, 400: err, 401: err, 403: err, 404: err, 422: err },
  },
  create_application: {
    method: 'POST',
    path: '/api/applications',
    openApiPath: '/api/applications',
    inSeed: true,
    request: CreateApplicationRequest,
    // 501: a Protected app on a server without protected-app (Cloudflare) configuration.
    responses: { 200: Application, 400: err, 401: err, 403: err, 422: err, 500: err, 501: err },
  },
  create_application_protected_app_metadata_custom_domain: {
    method: 'POST',
    path: '/api/applications/{id}/protected-app-metadata/custom-domains',
    openApiPath: '/api/applications/{id}/protected-app-metadata/custom-domains',
    inSeed: true,
    request: CreateCustomDomainRequest,
    responses: { 201: null, 400: err, 401: err, 403: err, 404: err, 409: err, 422: err, 501: err },
  },
  create_application_secret: {
    method: 'POST',
    path: '/api/applications/{id}/secrets',
    openApiPath: '/api/applications/{id}/secrets',
    inSeed: true,
    request: CreateApplicationSecretRequest,
    // 404: unknown application (not in the document).
    responses: { 201: ApplicationSecret, 400: err, 401: err, 403: err, 404: err, 422: err, 500: err },
  },
  create_application_user_consent_organization: {
    method: 'POST',
    path: '/api/applications/{id}/users/{userId}/consent-organizations',
    openApiPath: '/api/applications/{id}/users/{userId}/consent-organizations',
    inSeed: true,
    request: UserConsentOrganizationsRequest,
    responses: { 201: null, 400: err, 401: err, 403: err, 404: err, 422: err },
  },
  create_application_user_consent_scope: {
    method: 'POST',
    path: '/api/applications/{id}/user-consent-scopes',
    openApiPath: '/api/applications/{applicationId}/user-consent-scopes',
    inSeed: true,
    request: CreateUserConsentScopesRequest,
    responses: { 201: null, 400: err, 401: err, 403: err, 404: err, 422: err },
  },
  delete_application: {
    method: 'DELETE',
    path: '/api/applications/{id}',
    openApiPath: '/api/applications/{id}',
    inSeed: true,
    responses: { 204: null, 400: err, 401: err, 403: err, 404: err, 422: err },
  },
  delete_application_legacy_secret: {
    method: 'DELETE',
    path: '/api/applications/{id}/legacy-secret',
    openApiPath: '/api/applications/{id}/legacy-secret',
    inSeed: true,
    responses: { 200: LegacySecretDeletionResult, 400: err, 401: err, 403: err, 404: err },
  },
  delete_application_protected_app_metadata_custom_domain: {
    method: 'DELETE',
    path: '/api/applications/{id}/protected-app-metadata/custom-domains/{domain}',
    openApiPath: '/api/applications/{id}/protected-app-metadata/custom-domains/{domain}',
    inSeed: true,
    // 422: not a Protected app (not in the document).
    responses: { 204: null, 400: err, 401: err, 403: err, 404: err, 422: err, 501: err },
  },
  delete_application_role: {
    method: 'DELETE',
    path: '/api/applications/{id}/roles/{roleId}',
    openApiPath: '/api/applications/{applicationId}/roles/{roleId}',
    inSeed: true,
    responses: { 204: null, 400: err, 401: err, 403: err, 404: err, 422: err },
  },
  delete_application_secret: {
    method: 'DELETE',
    path: '/api/applications/{id}/secrets/{name}',
    openApiPath: '/api/applications/{id}/secrets/{name}',
    inSeed: true,
    responses: { 204: null, 400: err, 401: err, 403: err, 404: err, 500: err },
  },
  delete_application_user_consent_organization: {
    method: 'DELETE',
    path: '/api/applications/{id}/users/{userId}/consent-organizations/{organizationId}',
    openApiPath: '/api/applications/{id}/users/{userId}/consent-organizations/{organizationId}',
    inSeed: true,
    responses: { 204: null, 400: err, 401: err, 403: err, 404: err, 422: err },
  },
  delete_application_user_consent_scope: {
    method: 'DELETE',
    path: '/api/applications/{id}/user-consent-scopes/{scopeType}/{scopeId}',
    openApiPath: '/api/applications/{applicationId}/user-consent-scopes/{scopeType}/{scopeId}',
    inSeed: true,
    responses: { 204: null, 400: err, 401: err, 403: err, 404: err },
  },
  get_application: {
    method: 'GET',
    path: '/api/applications/{id}',
    openApiPath: '/api/applications/{id}',
    inSeed: true,
    responses: { 200: ApplicationDetails, 400: err, 401: err, 403: err, 404: err },
  },
  get_application_sign_in_experience: {
    method: 'GET',
    path: '/api/applications/{id}/sign-in-experience',
    openApiPath: '/api/applications/{applicationId}/sign-in-experience',
    inSeed: true,
    responses: { 200: ApplicationSignInExperience, 400: err, 401: err, 403: err, 404: err },
  },
  list_application_organizations: {
    method: 'GET',
    path: '/api/applications/{id}/organizations',
    openApiPath: '/api/applications/{id}/organizations',
    inSeed: true,
    query: PaginationQuery,
    responses: { 200: Type.Array(ApplicationOrganization), 400: err, 401: err, 403: err, 404: err },
  },
  list_application_protected_app_metadata_custom_domains: {
    method: 'GET',
    path: '/api/applications/{id}/protected-app-metadata/custom-domains',
    openApiPath: '/api/applications/{id}/protected-app-metadata/custom-domains',
    inSeed: true,
    // 422: not a Protected app (not in the document).
    responses: { 200: Type.Array(CustomDomain), 400: err, 401: err, 403: err, 404: err, 422: err, 501: err },
  },
  list_application_roles: {
    method: 'GET',
    path: '/api/applications/{id}/roles',
    openApiPath: '/api/applications/{applicationId}/roles',
    inSeed: true,
    query: PaginationQuery,
    search: true,
    responses: { 200: Type.Array(Role), 400: err, 401: err, 403: err, 404: err, 422: err },
  },
  list_application_secrets: {
    method: 'GET',
    path: '/api/applications/{id}/secrets',
    openApiPath: '/api/applications/{id}/secrets',
    inSeed: true,
    responses: { 200: Type.Array(ApplicationSecret), 400: err, 401: err, 403: err, 404: err },
  },
  list_application_user_consent_organizations: {
    method: 'GET',
    path: '/api/applications/{id}/users/{userId}/consent-organizations',
    openApiPath: '/api/applications/{id}/users/{userId}/consent-organizations',
    inSeed: true,
    query: PaginationQuery,
    responses: { 200: UserConsentOrganizations, 400: err, 401: err, 403: err, 404: err, 422: err },
  },
  list_application_user_consent_scopes: {
    method: 'GET',
    path: '/api/applications/{id}/user-consent-scopes',
    openApiPath: '/api/applications/{applicationId}/user-consent-scopes',
    inSeed: true,
    responses: { 200: UserConsentScopes, 400: err, 401: err, 403: err, 404: err },
  },
  list_applications: {
    method: 'GET',
    path: '/api/applications',
    openApiPath: '/api/applications',
    inSeed: true,
    query: ListApplicationsQuery,
    search: true,
    responses: { 200: Type.Array(Application), 400: err, 401: err, 403: err },
  },
  replace_application_roles: {
    method: 'PUT',
    path: '/api/applications/{id}/roles',
    openApiPath: '/api/applications/{applicationId}/roles',
    inSeed: true,
    request: ApplicationRolesRequest,
    responses: { 200: null, 400: err, 401: err, 403: err, 404: err, 422: err },
  },
  replace_application_sign_in_experience: {
    method: 'PUT',
    path: '/api/applications/{id}/sign-in-experience',
    openApiPath: '/api/applications/{applicationId}/sign-in-experience',
    inSeed: true,
    request: ReplaceApplicationSignInExperienceRequest,
    responses: {
      200: ApplicationSignInExperience,
      201: ApplicationSignInExperience,
      400: err,
      401: err,
      403: err,
      404: err,
      422: err,
    },
  },
  replace_application_user_consent_organizations: {
    method: 'PUT',
    path: '/api/applications/{id}/users/{userId}/consent-organizations',
    openApiPath: '/api/applications/{id}/users/{userId}/consent-organizations',
    inSeed: true,
    request: UserConsentOrganizationsRequest,
    responses: { 204: null, 400: err, 401: err, 403: err, 404: err, 422: err },
  },
  update_application: {
    method: 'PATCH',
    path: '/api/applications/{id}',
    openApiPath: '/api/applications/{id}',
    inSeed: true,
    request: UpdateApplicationRequest,
    responses: { 200: Application, 400: err, 401: err, 403: err, 404: err, 422: err, 500: err },
  },
  update_application_custom_data: {
    method: 'PATCH',
    path: '/api/applications/{id}/custom-data',
    openApiPath: '/api/applications/{applicationId}/custom-data',
    inSeed: true,
    request: CustomData,
    // 404: unknown application (not in the document).
    responses: { 200: CustomData, 400: err, 401: err, 403: err, 404: err },
  },
  update_application_secret: {
    method: 'PATCH',
    path: '/api/applications/{id}/secrets/{name}',
    openApiPath: '/api/applications/{id}/secrets/{name}',
    inSeed: true,
    request: UpdateApplicationSecretRequest,
    // 422: the new name is taken (not in the document).
    responses: {
      200: ApplicationSecret,
      204: null,
      400: err,
      401: err,
      403: err,
      404: err,
      422: err,
      500: err,
    },
  },
  get_application_access_control: {
    method: 'GET',
    path: '/api/applications/{id}/access-control',
    openApiPath: '/api/applications/{applicationId}/access-control',
    inSeed: false,
    responses: { 200: AccessControl, 400: err, 401: err, 403: err, 404: err },
  },
  replace_application_access_control: {
    method: 'PUT',
    path: '/api/applications/{id}/access-control',
    openApiPath: '/api/applications/{applicationId}/access-control',
    inSeed: false,
    request: ReplaceAccessControlRequest,
    responses: { 200: AccessControl, 400: err, 401: err, 403: err, 404: err, 422: err },
  },

  // API resources (BEHAVIOUR-resources-roles.md). The Management API's own resource answers 400 to
  // every change of it or of its scopes (see management-api.ts).
  create_resource: {
    method: 'POST',
    path: '/api/resources',
    openApiPath: '/api/resources',
    inSeed: false,
    request: CreateResourceRequest,
    // 422: the indicator is in use. 500: an accessTokenTtl out of the database's range.
    responses: { 201: CreatedResource, 400: err, 401: err, 403: err, 422: err, 500: err },
  },
  get_resource: {
    method: 'GET',
    path: '/api/resources/{id}',
    openApiPath: '/api/resources/{id}',
    inSeed: false,
    responses: { 200: Resource, 400: err, 401: err, 403: err, 404: err },
  },
  list_resources: {
    method: 'GET',
    path: '/api/resources',
    openApiPath: '/api/resources',
    inSeed: false,
    // Paged only when `page` or `page_size` is given; the whole list otherwise.
    query: ListResourcesQuery,
    responses: { 200: Type.Array(ResourceListItem), 400: err, 401: err, 403: err },
  },
  update_resource: {
    method: 'PATCH',
    path: '/api/resources/{id}',
    openApiPath: '/api/resources/{id}',
    inSeed: false,
    request: UpdateResourceRequest,
    // 422: nothing to update (`{}`, only dropped fields) or a fractional TTL (not in the document).
    responses: { 200: Resource, 400: err, 401: err, 403: err, 404: err, 422: err },
  },
  delete_resource: {
    method: 'DELETE',
    path: '/api/resources/{id}',
    openApiPath: '/api/resources/{id}',
    inSeed: false,
    // Deletes the resource's scopes and takes them from every role.
    responses: { 204: null, 400: err, 401: err, 403: err, 404: err },
  },
  list_resource_scopes: {
    method: 'GET',
    path: '/api/resources/{resourceId}/scopes',
    openApiPath: '/api/resources/{resourceId}/scopes',
    inSeed: false,
    // Always paged (20 items without page_size). An unknown resource answers 200 [], never 404.
    query: PaginationQuery,
    search: true,
    responses: { 200: Type.Array(ResourceScope), 400: err, 401: err, 403: err },
  },
  create_resource_scope: {
    method: 'POST',
    path: '/api/resources/{resourceId}/scopes',
    openApiPath: '/api/resources/{resourceId}/scopes',
    inSeed: false,
    request: CreateResourceScopeRequest,
    responses: { 201: ResourceScope, 400: err, 401: err, 403: err, 404: err, 422: err },
  },
  update_resource_scope: {
    method: 'PATCH',
    path: '/api/resources/{resourceId}/scopes/{scopeId}',
    openApiPath: '/api/resources/{resourceId}/scopes/{scopeId}',
    inSeed: false,
    request: UpdateResourceScopeRequest,
    responses: { 200: ResourceScope, 400: err, 401: err, 403: err, 404: err, 422: err },
  },
  delete_resource_scope: {
    method: 'DELETE',
    path: '/api/resources/{resourceId}/scopes/{scopeId}',
    openApiPath: '/api/resources/{resourceId}/scopes/{scopeId}',
    inSeed: false,
    // Takes the scope from every role that holds it.
    responses: { 204: null, 400: err, 401: err, 403: err, 404: err },
  },

  // API resource roles.
  create_role: {
    method: 'POST',
    path: '/api/roles',
    openApiPath: '/api/roles',
    inSeed: false,
    request: CreateRoleRequest,
    // 200, not 201. 404: an unknown id among `scopeIds`, which the operator never sends.
    responses: { 200: Role, 400: err, 401: err, 403: err, 404: err, 422: err },
  },
  get_role: {
    method: 'GET',
    path: '/api/roles/{id}',
    openApiPath: '/api/roles/{id}',
    inSeed: false,
    responses: { 200: Role, 400: err, 401: err, 403: err, 404: err },
  },
  list_roles: {
    method: 'GET',
    path: '/api/roles',
    openApiPath: '/api/roles',
    inSeed: false,
    // Always paged (20 items without page_size). Roles named `#internal:…` are never listed.
    query: ListRolesQuery,
    search: true,
    responses: { 200: Type.Array(RoleListItem), 400: err, 401: err, 403: err },
  },
  update_role: {
    method: 'PATCH',
    path: '/api/roles/{id}',
    openApiPath: '/api/roles/{id}',
    inSeed: false,
    request: UpdateRoleRequest,
    responses: { 200: Role, 400: err, 401: err, 403: err, 404: err, 422: err },
  },
  delete_role: {
    method: 'DELETE',
    path: '/api/roles/{id}',
    openApiPath: '/api/roles/{id}',
    inSeed: false,
    // Also takes the role from every application holding it.
    responses: { 204: null, 400: err, 401: err, 403: err, 404: err },
  },
  list_role_scopes: {
    method: 'GET',
    path: '/api/roles/{id}/scopes',
    openApiPath: '/api/roles/{id}/scopes',
    inSeed: false,
    // Paged only when `page` or `page_size` is given; the whole list otherwise.
    query: PaginationQuery,
    search: true,
    responses: { 200: Type.Array(RoleScope), 400: err, 401: err, 403: err, 404: err },
  },
  assign_role_scopes: {
    method: 'POST',
    path: '/api/roles/{id}/scopes',
    openApiPath: '/api/roles/{id}/scopes',
    inSeed: false,
    request: RoleScopesRequest,
    // 201 with every scope of the role (without `resource`); the documented 200 is not answered.
    // 500: an id given twice in one body (not in the document).
    responses: {
      200: null,
      201: Type.Array(ResourceScope),
      400: err,
      401: err,
      403: err,
      404: err,
      422: err,
      500: err,
    },
  },
  delete_role_scope: {
    method: 'DELETE',
    path: '/api/roles/{id}/scopes/{scopeId}',
    openApiPath: '/api/roles/{id}/scopes/{scopeId}',
    inSeed: false,
    // 404 entity.not_found: the scope is not linked to the role (or either is unknown).
    responses: { 204: null, 400: err, 401: err, 403: err, 404: err },
  },
} as const satisfies Record<string, OperationSpec>;

export type Operations = typeof operations;
export type OperationName = keyof Operations;

export const operationNames = Object.keys(operations) as OperationName[];

/** `{ id: string; name: string }` for `'/api/applications/{id}/secrets/{name}'`. */
export type PathParams<P extends string> = P extends `${string}{${infer Name}}${infer Rest}`
  ? { [K in Name | keyof PathParams<Rest>]: string }
  : Record<never, string>;

export type OperationPathParams<N extends OperationName> = PathParams<Operations[N]['path']>;

export type OperationRequest<N extends OperationName> = Operations[N] extends {
  request: infer S extends TSchema;
}
  ? Static<S>
  : undefined;

export type OperationQuery<N extends OperationName> = Operations[N] extends { query: infer S extends TSchema }
  ? Static<S>
  : undefined;

export type OperationStatus<N extends OperationName> = keyof Operations[N]['responses'] & number;

/** The body type of an answer with status `S` (`undefined` when that answer has no body). */
export type OperationResponse<
  N extends OperationName,
  S extends OperationStatus<N>,
> = Operations[N]['responses'][S] extends infer R extends TSchema ? Static<R> : undefined;

/** The success statuses (2xx) of an operation. */
export const successStatuses = (name: OperationName): number[] =>
  Object.keys(operations[name].responses)
    .map(Number)
    .filter((status) => status >= 200 && status < 300);

/** Fills a path template; every parameter is percent-encoded (secret names contain spaces). */
export const expandPath = <P extends string>(template: P, params: PathParams<P>): string =>
  template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = (params as Record<string, string | undefined>)[name];
    if (value === undefined) throw new Error(`Missing path parameter "${name}" for ${template}`);
    return encodeURIComponent(value);
  });

/**
 * Matches a concrete path (without query) against a template; returns the decoded parameters, or
 * undefined when it does not match. A parameter matches one non-empty segment.
 */
export const matchPath = (template: string, path: string): Record<string, string> | undefined => {
  const templateSegments = template.split('/');
  const pathSegments = path.split('/');
  if (templateSegments.length !== pathSegments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, expected] of templateSegments.entries()) {
    const actual = pathSegments[index] ?? '';
    const param = /^\{(\w+)\}$/.exec(expected)?.[1];
    if (param === undefined) {
      if (expected !== actual) return undefined;
    } else {
      if (actual === '') return undefined;
      try {
        params[param] = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
    }
  }
  return params;
};
