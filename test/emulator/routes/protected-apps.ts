// Custom domains of Protected applications.
import type { CustomDomain } from '../../../src/api/schemas.js';
import { ApiError } from '../errors.js';
import type { ApplicationRecord } from '../state.js';
import type { EmulatorCore, OperationHandlers, RouteDef } from './context.js';

const hostnamePattern = /^(?=.{1,253}$)([a-z\d]([a-z\d-]{0,61}[a-z\d])?\.)+[a-z]{2,63}$/;

/** 422 for an app of another type (BEHAVIOUR.md: checked before the body and before the 501). */
const requireProtectedType = (core: EmulatorCore, id: string) => {
  const app = core.state.requireApplication(id);
  if (app.type !== 'Protected' || !app.protectedAppMetadata) {
    throw new ApiError(
      422,
      'application.protected_application_only',
      'Only Protected apps have custom domains.',
    );
  }
  return { app, metadata: app.protectedAppMetadata };
};

const precheck: RouteDef['precheck'] = ({ core, params }) => {
  requireProtectedType(core, params.id ?? '');
};

export const protectedAppPrechecks = {
  list_application_protected_app_metadata_custom_domains: precheck,
  create_application_protected_app_metadata_custom_domain: precheck,
  delete_application_protected_app_metadata_custom_domain: precheck,
};

/** The Protected app and the server's protected-app domain: 422 for other types, 501 unconfigured. */
const requireProtected = (core: EmulatorCore, id: string) => {
  const { app, metadata } = requireProtectedType(core, id);
  const domain = core.config.protectedAppDomain;
  if (domain === undefined) {
    throw new ApiError(501, 'application.protected_app_not_configured', 'Protected apps are not configured.');
  }
  return { app, metadata, domain };
};

const callbackUris = (domain: string) => ({
  redirect: `https://${domain}/callback`,
  postLogout: `https://${domain}`,
});

const allDomains = (core: EmulatorCore) =>
  [...core.state.applications.values()].flatMap(
    (app: ApplicationRecord) => app.protectedAppMetadata?.customDomains?.map(({ domain }) => domain) ?? [],
  );

export const protectedAppHandlers: OperationHandlers<
  | 'list_application_protected_app_metadata_custom_domains'
  | 'create_application_protected_app_metadata_custom_domain'
  | 'delete_application_protected_app_metadata_custom_domain'
> = {
  list_application_protected_app_metadata_custom_domains: ({ core, params }) => {
    const { metadata } = requireProtected(core, params.id);
    return { status: 200, body: structuredClone(metadata.customDomains ?? []) };
  },

  create_application_protected_app_metadata_custom_domain: ({ core, params, body }) => {
    const { app, metadata, domain: appDomain } = requireProtected(core, params.id);
    const domain = body.domain.trim().toLowerCase();
    if (!hostnamePattern.test(domain)) {
      throw new ApiError(422, 'domain.invalid_hostname', `\`${body.domain}\` is not a valid hostname.`);
    }
    if ((metadata.customDomains?.length ?? 0) > 0) {
      throw new ApiError(422, 'domain.limit_to_one_domain', 'Only one custom domain is allowed.');
    }
    if (allDomains(core).includes(domain)) {
      throw new ApiError(409, 'domain.hostname_already_exists', `The domain ${domain} already exists.`);
    }
    const customDomain: CustomDomain = {
      domain,
      status: 'PendingVerification',
      errorMessage: null,
      dnsRecords: [{ name: domain, type: 'CNAME', value: `proxy.${appDomain}` }],
      cloudflareData: null,
    };
    metadata.customDomains = [customDomain];
    const uris = callbackUris(domain);
    app.oidcClientMetadata.redirectUris.push(uris.redirect);
    app.oidcClientMetadata.postLogoutRedirectUris.push(uris.postLogout);
    return { status: 201 };
  },

  delete_application_protected_app_metadata_custom_domain: ({ core, params }) => {
    const { app, metadata } = requireProtected(core, params.id);
    const existing = metadata.customDomains?.find(({ domain }) => domain === params.domain.toLowerCase());
    if (!existing) {
      throw new ApiError(
        404,
        'application.custom_domain_not_found',
        `The domain ${params.domain} is not found.`,
      );
    }
    metadata.customDomains = metadata.customDomains?.filter((candidate) => candidate !== existing);
    const uris = callbackUris(existing.domain);
    app.oidcClientMetadata.redirectUris = app.oidcClientMetadata.redirectUris.filter(
      (uri) => uri !== uris.redirect,
    );
    app.oidcClientMetadata.postLogoutRedirectUris = app.oidcClientMetadata.postLogoutRedirectUris.filter(
      (uri) => uri !== uris.postLogout,
    );
    return { status: 204 };
  },
};
