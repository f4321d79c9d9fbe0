// Our operation table and schemas against Logto's OpenAPI document and the generated client's list.
import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';

import {
  operationNames,
  operations,
  type OperationName,
  type OperationSpec,
} from '../../src/api/operations.js';
import { Application, LogtoError } from '../../src/api/schemas.js';
import {
  compareSchemas,
  docHasSearchParams,
  docOperation,
  docQueryParameters,
  docRequestSchema,
  docResponseSchema,
  loadOpenApi,
  loadSeedOperations,
  missingSources,
  type JsonSchema,
} from './openapi.js';

const skipReason = missingSources();
if (skipReason) console.warn(`[contract] skipped: ${skipReason}`);
const titled = (title: string) => (skipReason ? `${title} (skipped: ${skipReason})` : title);

const spec = (name: OperationName): OperationSpec => operations[name];

/**
 * Where our schemas deliberately differ from the document, because the real server is stricter
 * (BEHAVIOUR.md wins). Every entry must still be produced by the comparison, so a list that goes
 * stale fails as surely as a new, unlisted difference.
 */
const redirectUriPatterns = [
  '$.oidcClientMetadata.postLogoutRedirectUris[]: pattern in ours only',
  '$.oidcClientMetadata.redirectUris[]: pattern in ours only',
];
const requestDifferences: Partial<Record<OperationName, string[]>> = {
  // The server validates redirect URIs ("not a url" → 400) and refuses SAML here (SAML API instead).
  create_application: [
    ...redirectUriPatterns,
    '$.type: enum doc=[MachineToMachine|Native|Protected|SAML|SPA|Traditional] ours=[MachineToMachine|Native|Protected|SPA|Traditional]',
  ],
  update_application: redirectUriPatterns,
  // BEHAVIOUR.md, "Application sign-in experience": a partial upsert, no field is required.
  replace_application_sign_in_experience: ['$: required doc=[privacyPolicyUrl, termsOfUseUrl] ours=[]'],
  // BEHAVIOUR.md, "User consent": the server refuses urn:logto:scope:trusted_devices with 400.
  create_application_user_consent_scope: [
    '$.userScopes[]: enum doc=[address|custom_data|email|identities|phone|profile|roles|urn:logto:scope:organization_roles|urn:logto:scope:organizations|urn:logto:scope:sessions|urn:logto:scope:trusted_devices] ours=[address|custom_data|email|identities|phone|profile|roles|urn:logto:scope:organization_roles|urn:logto:scope:organizations|urn:logto:scope:sessions]',
  ],
  // BEHAVIOUR.md, "Access control": an empty organizationRoleIds is the server's 422, not a 400.
  replace_application_access_control: [
    '$.organizationRoleRules[].organizationRoleIds: minItems doc=1 ours=none',
  ],
  // BEHAVIOUR-resources-roles.md: `tenantId` is dropped (Shapes); a fractional TTL is a 422 (12, 16).
  create_resource: ['$.accessTokenTtl: type doc=number ours=integer', '$.tenantId: in doc only'],
  update_resource: ['$.accessTokenTtl: type doc=number ours=integer', '$.tenantId: in doc only'],
  // Fact 21, 23: whitespace in a scope name is a 400.
  create_resource_scope: ['$.name: pattern in ours only'],
  update_resource_scope: ['$.name: pattern in ours only'],
  // Fact 26: `scopeIds` on create is not atomic, so the operator never sends it; the type is always
  // given (the server defaults to User); `tenantId` is dropped and `isDefault` is not used.
  create_role: [
    '$.isDefault: in doc only',
    '$.scopeIds: in doc only',
    '$.tenantId: in doc only',
    '$: required doc=[description, name] ours=[description, name, type]',
  ],
  update_role: ['$.isDefault: in doc only'],
  // Fact 32: an empty list is a 400.
  assign_role_scopes: ['$.scopeIds: minItems doc=none ours=1'],
};

// The server caps page_size at 100.
const pageSizeCap = ['$.page_size: maximum doc=none ours=100'];
const queryDifferences: Partial<Record<OperationName, string[]>> = {
  list_applications: pageSizeCap,
  list_application_roles: pageSizeCap,
  list_application_organizations: pageSizeCap,
  list_application_user_consent_organizations: pageSizeCap,
  list_resources: pageSizeCap,
  list_resource_scopes: pageSizeCap,
  list_roles: pageSizeCap,
  list_role_scopes: pageSizeCap,
};

/** Statuses the server answers that the document does not list. */
const extraStatuses: Partial<Record<OperationName, number[]>> = {
  create_application: [501], // Protected app without protected-app configuration
  create_application_secret: [404], // unknown application
  update_application_custom_data: [404], // unknown application
  update_application_secret: [422], // rename to a name already in use
  list_application_protected_app_metadata_custom_domains: [422], // not a Protected app
  delete_application_protected_app_metadata_custom_domain: [422], // not a Protected app
  // BEHAVIOUR-resources-roles.md:
  create_resource: [500], // an accessTokenTtl out of range (fact 12)
  update_resource: [422], // nothing to update, or a fractional TTL (fact 16)
  assign_role_scopes: [500], // an id given twice (fact 32)
};

const withoutParamNames = (route: string) => route.replace(/\{\w+\}/g, '{}');

describe.skipIf(skipReason !== undefined)(titled('operations table vs. the OpenAPI document'), () => {
  const doc = skipReason ? undefined : loadOpenApi();
  const documented = (name: OperationName) => {
    const operation = doc && docOperation(doc, spec(name).method, spec(name).openApiPath);
    if (!doc || !operation)
      throw new Error(`${spec(name).method} ${spec(name).openApiPath} is not in the document`);
    return { doc, operation };
  };

  describe.each(operationNames)('%s', (name) => {
    it('exists in the document with the same method and path', () => {
      const { operation } = documented(name);
      expect(operation).toBeDefined();
      expect(withoutParamNames(spec(name).path)).toBe(withoutParamNames(spec(name).openApiPath));
      expect(spec(name).path).toMatch(/^\/api\/(applications|resources|roles)(\/|$)/);
    });

    it('has a request schema compatible with the document', () => {
      const { doc, operation } = documented(name);
      const documentedRequest = docRequestSchema(doc, operation);
      const ours = spec(name).request;
      expect(Boolean(ours), 'request body presence').toBe(Boolean(documentedRequest));
      if (documentedRequest && ours) {
        expect(compareSchemas(documentedRequest, ours)).toEqual(requestDifferences[name] ?? []);
      }
    });

    it('has query parameters compatible with the document', () => {
      const { doc, operation } = documented(name);
      const documentedQuery: JsonSchema = { type: 'object', properties: docQueryParameters(doc, operation) };
      expect(compareSchemas(documentedQuery, spec(name).query ?? Type.Object({}))).toEqual(
        queryDifferences[name] ?? [],
      );
      expect(Boolean(spec(name).search), 'accepts search parameters').toBe(docHasSearchParams(operation));
    });

    it('has the documented statuses and response schemas', () => {
      const { doc, operation } = documented(name);
      const documentedStatuses = Object.keys(operation.responses).map(Number).sort();
      const ourStatuses = Object.keys(spec(name).responses).map(Number).sort();
      expect(ourStatuses).toEqual([...documentedStatuses, ...(extraStatuses[name] ?? [])].sort());
      for (const status of ourStatuses) {
        const ours = spec(name).responses[status];
        const documentedSchema = docResponseSchema(doc, operation, status);
        if (status >= 400) {
          expect(ours, `${status} carries a Logto error body`).toBe(LogtoError);
        } else if (documentedSchema) {
          expect(ours, `${status} has a body`).toBeTruthy();
          expect(compareSchemas(documentedSchema, ours), `${status} body`).toEqual([]);
        } else {
          expect(ours, `${status} has no body`).toBeNull();
        }
      }
    });
  });

  it('lists the operations of the document that the generated client lacks as inSeed: false', () => {
    const seeded = new Set(loadSeedOperations().map(({ name }) => name));
    for (const name of operationNames) expect(spec(name).inSeed, name).toBe(seeded.has(name));
    expect(operationNames.filter((name) => !spec(name).inSeed).sort()).toEqual([
      'assign_role_scopes',
      'create_resource',
      'create_resource_scope',
      'create_role',
      'delete_resource',
      'delete_resource_scope',
      'delete_role',
      'delete_role_scope',
      'get_application_access_control',
      'get_resource',
      'get_role',
      'list_resource_scopes',
      'list_resources',
      'list_role_scopes',
      'list_roles',
      'replace_application_access_control',
      'update_resource',
      'update_resource_scope',
      'update_role',
    ]);
  });

  it('covers every Applications operation of the document', () => {
    const ours = new Set(operationNames.map((name) => `${spec(name).method} ${spec(name).openApiPath}`));
    const documentedOperations = Object.entries(doc?.paths ?? {})
      .filter(([route]) => route.startsWith('/api/applications'))
      .flatMap(([route, methods]) =>
        Object.keys(methods).map((method) => `${method.toUpperCase()} ${route}`),
      );
    expect(documentedOperations.length).toBeGreaterThan(0);
    expect(documentedOperations.filter((key) => !ours.has(key))).toEqual([]);
  });

  it('detects a schema that stops matching (the comparison can fail)', () => {
    const { doc: document, operation } = documented('list_applications');
    const documentedSchema = docResponseSchema(document, operation, 200);
    if (!documentedSchema) throw new Error('list_applications has no documented body');
    const broken = Type.Array(Type.Omit(Application, ['createdAt']));
    expect(compareSchemas(documentedSchema, broken)).toEqual([
      '$[].createdAt: in doc only',
      expect.stringMatching(/^\$\[\]: required doc=\[.*createdAt.*\] ours=\[/),
    ]);
  });
});

describe.skipIf(skipReason !== undefined)(titled('operations table vs. the generated client (seed)'), () => {
  const seed = skipReason ? [] : loadSeedOperations();

  it('has all 28 operations of the seed, under their names', () => {
    expect(seed).toHaveLength(28);
    const ours = new Set<string>(operationNames);
    expect(seed.map(({ name }) => name).filter((name) => !ours.has(name))).toEqual([]);
  });

  it.each(seed.map((operation) => [operation.name, operation] as const))(
    '%s has the seed method and path',
    (_, op) => {
      const ours = spec(op.name as OperationName);
      expect(ours.method).toBe(op.method);
      expect(ours.openApiPath).toBe(op.path);
    },
  );
});
