/**
 * Custom domains of a Protected application: added when declared, removed when not, and reported
 * with their verification state and the DNS records to create.
 */
import { LogtoApiError, ignoreNotFound } from '../../../api/errors.js';
import type { CustomDomain } from '../../../api/schemas.js';
import type { Aspect, AspectContext } from './aspect.js';

function report(domains: CustomDomain[]) {
  return domains.map(({ domain, status, dnsRecords }) => ({
    domain,
    status,
    ...(dnsRecords.length
      ? { dnsRecords: dnsRecords.map(({ name, type, value }) => ({ name, type, value })) }
      : {}),
  }));
}

async function converge(context: AspectContext, wanted: readonly string[]) {
  const id = context.application.id;
  let domains = await context.logto.listApplicationProtectedAppMetadataCustomDomains(id);
  const changes: string[] = [];
  // Removals first: Logto allows one domain, so a replacement needs the old one gone.
  for (const { domain } of domains.filter((d) => !wanted.includes(d.domain))) {
    await ignoreNotFound(() => context.logto.deleteApplicationProtectedAppMetadataCustomDomain(id, domain));
    changes.push(`custom domain ${domain} removed`);
  }
  for (const domain of wanted.filter((d) => !domains.some((existing) => existing.domain === d))) {
    await context.logto.createApplicationProtectedAppMetadataCustomDomain(id, domain);
    changes.push(`custom domain ${domain} added`);
  }
  if (changes.length) domains = await context.logto.listApplicationProtectedAppMetadataCustomDomains(id);
  return { status: { customDomains: domains.length ? report(domains) : undefined }, changes };
}

export const customDomainsAspect: Aspect = {
  name: 'customDomains',
  declared: (resource) => resource.spec.type === 'Protected' && resource.spec.customDomains !== undefined,
  sync: (context) => converge(context, context.resource.spec.customDomains ?? []),
  reset: (context) => converge(context, []),
};

/**
 * Removes every custom domain: Logto refuses to delete a Protected app that still has one. A server
 * that no longer supports custom domains (501) has none to remove.
 */
export async function removeCustomDomains(
  context: Pick<AspectContext, 'logto' | 'application'>,
): Promise<void> {
  const { id } = context.application;
  let domains: CustomDomain[];
  try {
    domains = await context.logto.listApplicationProtectedAppMetadataCustomDomains(id);
  } catch (error) {
    if (error instanceof LogtoApiError && error.kind === 'NotSupported') return;
    throw error;
  }
  for (const { domain } of domains) {
    await ignoreNotFound(() => context.logto.deleteApplicationProtectedAppMetadataCustomDomain(id, domain));
  }
}
