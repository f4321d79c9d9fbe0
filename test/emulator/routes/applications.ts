// Applications: create, read, list, update, delete, custom-data merge.
import type { Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

import {
  ListApplicationsQuery,
  secretApplicationTypes,
  thirdPartyApplicationTypes,
  type ApplicationType,
  type CustomClientMetadata,
} from '../../../src/api/schemas.js';
import { ApiError } from '../errors.js';
import { guard } from '../guard.js';
import { pageLink, paginate } from '../pagination.js';
import { presentApplication, presentApplicationDetails } from '../present.js';
import { defaultSecretName, newApplicationRecord, newSecret, protectedAppData } from '../records.js';
import { applySearch, parseSearch } from '../search.js';
import { EmulatorState, type ApplicationRecord } from '../state.js';
import type { EmulatorCore, OperationHandlers } from './context.js';

const subDomainPattern = /^[a-z\d]([a-z\d-]{0,61}[a-z\d])?$/;

const assertNoTokenExchangeForThirdParty = (
  isThirdParty: boolean,
  metadata: CustomClientMetadata | undefined,
) => {
  if (isThirdParty && metadata?.allowTokenExchange) {
    throw new ApiError(
      422,
      'application.third_party_application_cannot_enable_token_exchange',
      'Third-party applications cannot enable token exchange.',
    );
  }
};

const protectedApp = (core: EmulatorCore, metadata: { subDomain: string; origin: string } | undefined) => {
  if (!metadata) {
    throw new ApiError(
      400,
      'application.protected_app_metadata_is_required',
      'Protected app metadata is required for Protected apps.',
    );
  }
  // The subdomain is checked before the server looks for its protected-app configuration.
  if (!subDomainPattern.test(metadata.subDomain)) {
    throw new ApiError(422, 'application.invalid_subdomain', 'Invalid subdomain.');
  }
  const domain = core.config.protectedAppDomain;
  if (domain === undefined) {
    throw new ApiError(501, 'application.protected_app_not_configured', 'Protected apps are not configured.');
  }
  const data = protectedAppData(metadata.subDomain, metadata.origin, domain);
  const hostTaken = [...core.state.applications.values()].some(
    (app) => app.protectedAppMetadata?.host === data.protectedAppMetadata.host,
  );
  if (hostTaken) {
    throw new ApiError(
      422,
      'application.protected_application_subdomain_exists',
      'The subdomain of Protected application is already in use.',
    );
  }
  return data;
};

const listQuery = (query: URLSearchParams) => {
  const raw: Record<string, unknown> = {};
  for (const key of ['excludeRoleId', 'excludeOrganizationId', 'isThirdParty']) {
    const value = query.get(key);
    if (value !== null) raw[key] = value;
  }
  const types = query.getAll('types');
  if (types.length > 0) raw.types = types;
  const parsed = Value.Convert(ListApplicationsQuery, raw);
  guard('query', ListApplicationsQuery, parsed);
  return parsed as Static<typeof ListApplicationsQuery>;
};

const applicationsInOrganization = (core: EmulatorCore, organizationId: string) =>
  new Set(core.state.organizations.get(organizationId)?.applications.keys() ?? []);

export const applicationHandlers: OperationHandlers<
  | 'create_application'
  | 'get_application'
  | 'list_applications'
  | 'update_application'
  | 'delete_application'
  | 'update_application_custom_data'
> = {
  create_application: ({ core, body }) => {
    // The emulator's guard takes SAML like the server's (routes/requests.ts); this route refuses it.
    if ((body.type as ApplicationType) === 'SAML') {
      throw new ApiError(
        400,
        'application.saml.use_saml_app_api',
        'Use `[METHOD] /saml-applications(/.*)?` API to operate SAML app.',
      );
    }
    const isThirdParty = body.isThirdParty ?? false;
    if (isThirdParty && !(thirdPartyApplicationTypes as readonly string[]).includes(body.type)) {
      throw new ApiError(
        400,
        'application.invalid_third_party_application_type',
        'Only traditional, single-page and native apps can be third-party apps.',
      );
    }
    assertNoTokenExchangeForThirdParty(isThirdParty, body.customClientMetadata);
    if (body.customClientMetadata?.isDeviceFlow && body.type !== 'Native') {
      throw new ApiError(
        422,
        'application.device_flow_native_only',
        'Device flow is only available for native applications.',
      );
    }
    const protectedData =
      body.type === 'Protected' ? protectedApp(core, body.protectedAppMetadata) : undefined;

    const now = core.clock.now();
    const app = newApplicationRecord(core.state, core.clock, {
      name: body.name,
      type: body.type,
      description: body.description,
      oidcClientMetadata: protectedData?.oidcClientMetadata ?? body.oidcClientMetadata,
      customClientMetadata: body.customClientMetadata,
      customData: body.customData,
      isThirdParty,
      protectedAppMetadata: protectedData?.protectedAppMetadata,
    });
    if ((secretApplicationTypes as readonly string[]).includes(app.type)) {
      app.secrets.push(newSecret(defaultSecretName, now));
    }
    core.state.applications.set(app.id, app);
    return { status: 200, body: presentApplication(core.state, app) };
  },

  get_application: ({ core, params }) => ({
    status: 200,
    body: presentApplicationDetails(core.state, core.state.requireApplication(params.id)),
  }),

  list_applications: ({ core, query }) => {
    const { types, excludeRoleId, excludeOrganizationId, isThirdParty } = listQuery(query);
    if (excludeRoleId !== undefined && excludeOrganizationId !== undefined) {
      throw new ApiError(
        400,
        'request.invalid_input',
        'Parameter `excludeRoleId` and `excludeOrganizationId` cannot be used at the same time.',
      );
    }
    const search = parseSearch(query, ['id', 'name', 'description']);
    const typeFilter =
      types === undefined ? undefined : new Set<string>(Array.isArray(types) ? types : [types]);
    const excludedByOrganization =
      excludeOrganizationId === undefined
        ? new Set<string>()
        : applicationsInOrganization(core, excludeOrganizationId);
    const rows = EmulatorState.newestFirst(core.state.applications.values()).filter(
      (app) =>
        (typeFilter === undefined || typeFilter.has(app.type)) &&
        (isThirdParty === undefined || app.isThirdParty === (isThirdParty === 'true')) &&
        (excludeRoleId === undefined || !app.roleIds.has(excludeRoleId)) &&
        !excludedByOrganization.has(app.id),
    );
    const found = applySearch(rows, search, ({ id, name, description }) => ({ id, name, description }));
    const page = paginate(found, query, {
      optional: true,
      link: pageLink(core.config.endpoint, '/api/applications'),
    });
    return {
      status: 200,
      body: page.items.map((app) => presentApplication(core.state, app)),
      headers: page.headers,
    };
  },

  update_application: ({ core, params, body }) => {
    const app = core.state.requireApplication(params.id);
    // `type` and `isThirdParty` are not part of the patch schema: they were dropped silently.
    if (body.customClientMetadata !== undefined) {
      if (
        Boolean(body.customClientMetadata.isDeviceFlow) !== Boolean(app.customClientMetadata.isDeviceFlow)
      ) {
        throw new ApiError(
          422,
          'application.device_flow_not_changeable',
          '`isDeviceFlow` cannot be changed after the application is created.',
        );
      }
      assertNoTokenExchangeForThirdParty(app.isThirdParty, body.customClientMetadata);
    }
    if (body.protectedAppMetadata) {
      if (app.type !== 'Protected' || !app.protectedAppMetadata) {
        throw new ApiError(
          400,
          'application.protected_application_only',
          'Only Protected apps have this metadata.',
        );
      }
      // Logto merges this one field (host and custom domains are not patchable).
      app.protectedAppMetadata = {
        ...app.protectedAppMetadata,
        ...structuredClone(body.protectedAppMetadata),
      };
    }
    // Every other field given replaces the stored one as a whole.
    if (body.name !== undefined) app.name = body.name;
    if (body.description !== undefined) app.description = body.description;
    if (body.oidcClientMetadata !== undefined)
      app.oidcClientMetadata = structuredClone(body.oidcClientMetadata);
    if (body.customClientMetadata !== undefined)
      app.customClientMetadata = structuredClone(body.customClientMetadata);
    if (body.customData !== undefined) app.customData = structuredClone(body.customData);
    if (body.appLevelAccessControlEnabled !== undefined) {
      app.appLevelAccessControlEnabled = body.appLevelAccessControlEnabled;
    }
    if (body.isAdmin !== undefined) app.isAdmin = body.isAdmin;
    return { status: 200, body: presentApplication(core.state, app) };
  },

  delete_application: ({ core, params }) => {
    const app = core.state.requireApplication(params.id);
    if (app.type === 'Protected' && (app.protectedAppMetadata?.customDomains?.length ?? 0) > 0) {
      throw new ApiError(
        422,
        'application.should_delete_custom_domains_first',
        'Delete the custom domains of the application first.',
      );
    }
    removeApplication(core, app);
    return { status: 204 };
  },

  update_application_custom_data: ({ core, params, body }) => {
    // An update of no row: 404 `entity.not_exists` (BEHAVIOUR.md, "Errors").
    const app = core.state.applications.get(params.id);
    if (!app) throw new ApiError(404, 'entity.not_exists', 'The application does not exist.');
    app.customData = { ...app.customData, ...structuredClone(body) };
    return { status: 200, body: structuredClone(app.customData) };
  },
};

const removeApplication = (core: EmulatorCore, app: ApplicationRecord) => {
  core.state.applications.delete(app.id);
  for (const organization of core.state.organizations.values()) organization.applications.delete(app.id);
};
