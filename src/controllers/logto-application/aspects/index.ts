/** The aspects, in the order a pass converges them, and the loop that does (see aspect.ts). */
import type { Application } from '../../../api/schemas.js';
import type { LogtoApplicationStatus } from '../../../crd/logto-application.js';
import type { Aspect, AspectContext } from './aspect.js';
import { accessControlAspect } from './access-control.js';
import { consentOrganizationsAspect } from './consent-organizations.js';
import { consentScopesAspect } from './consent-scopes.js';
import { customDomainsAspect } from './custom-domains.js';
import { organizationsAspect } from './organizations.js';
import { rolesAspect } from './roles.js';
import { signInExperienceAspect } from './sign-in-experience.js';

export type { Aspect, AspectContext, AspectDefinition, AspectResult } from './aspect.js';
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

export interface AspectsOutcome {
  /** The application as the last write answered it. */
  application: Application;
  status: Partial<LogtoApplicationStatus>;
  changes: string[];
}

/**
 * Converges every declared aspect, and resets once each one the operator managed before
 * (status.managedAspects) that the spec no longer declares.
 */
export async function convergeAspects(context: AspectContext): Promise<AspectsOutcome> {
  const { resource } = context;
  const status: Partial<LogtoApplicationStatus> = {};
  const changes: string[] = [];
  const previouslyManaged = new Set(resource.status?.managedAspects ?? []);
  const managed: string[] = [];
  for (const aspect of ASPECTS) {
    const declared = aspect.declared(resource);
    if (!declared && !(aspect.resettable && previouslyManaged.has(aspect.name))) continue;
    const result = await aspect.converge(context, declared);
    Object.assign(status, result.status);
    changes.push(...(result.changes ?? []));
    if (declared && aspect.resettable) managed.push(aspect.name);
  }
  status.managedAspects = managed.length ? managed.sort() : undefined;
  return { application: context.application, status, changes };
}
