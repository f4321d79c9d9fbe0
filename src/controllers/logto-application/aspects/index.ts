import type { Aspect } from './aspect.js';
import { accessControlAspect } from './access-control.js';
import { consentOrganizationsAspect } from './consent-organizations.js';
import { consentScopesAspect } from './consent-scopes.js';
import { customDomainsAspect } from './custom-domains.js';
import { organizationsAspect } from './organizations.js';
import { rolesAspect } from './roles.js';
import { signInExperienceAspect } from './sign-in-experience.js';

export type { Aspect, AspectContext, AspectResult } from './aspect.js';
export { removeCustomDomains } from './custom-domains.js';

/** In the order they are converged, after the application's own fields. */
export const ASPECTS: readonly Aspect[] = [
  rolesAspect,
  consentScopesAspect,
  consentOrganizationsAspect,
  signInExperienceAspect,
  accessControlAspect,
  customDomainsAspect,
  organizationsAspect,
];
