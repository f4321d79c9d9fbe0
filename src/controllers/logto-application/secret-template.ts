/**
 * The tiny template language of spec.secret.templates: text with `{{ name }}` placeholders, where
 * name is one of SECRET_TEMPLATE_VALUES. No logic, no escaping rules to learn.
 */
import { SECRET_TEMPLATE_VALUES } from '../../crd/logto-application.js';

export type TemplateValueName = keyof typeof SECRET_TEMPLATE_VALUES;
export type TemplateValues = Partial<Record<TemplateValueName, string>>;

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export function isTemplateValueName(name: string): name is TemplateValueName {
  return Object.hasOwn(SECRET_TEMPLATE_VALUES, name);
}

/** Names a template references, in order of first use. */
export function templateReferences(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** Renders a template; a known value that is not available (e.g. appSecret of an SPA) renders empty. */
export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (_, name: string) =>
    isTemplateValueName(name) ? (values[name] ?? '') : '',
  );
}

/** The well-known OIDC endpoints under Logto's base URL. */
export function endpointValues(endpoint: string): TemplateValues {
  const base = endpoint.replace(/\/+$/, '');
  return {
    endpoint: base,
    issuer: `${base}/oidc`,
    authorizationEndpoint: `${base}/oidc/auth`,
    tokenEndpoint: `${base}/oidc/token`,
    userinfoEndpoint: `${base}/oidc/me`,
    jwksUri: `${base}/oidc/jwks`,
    endSessionEndpoint: `${base}/oidc/session/end`,
  };
}
