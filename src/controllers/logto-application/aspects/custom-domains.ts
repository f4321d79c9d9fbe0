/**
 * Custom domains of a Protected application: added when declared, removed when not, and reported
 * with their verification state and the DNS records to create.
 */
import { LogtoApiError, ignoreNotFound } from '../../../api/errors.js';
import type { CustomDomain } from '../../../api/schemas.js';
import { aspect, type AspectContext, type AspectDefinition } from './aspect.js';

function report(domains: CustomDomain[]) {
  return domains.map(({ domain, status, dnsRecords }) => ({
    domain,
    status,
    ...(dnsRecords.length
      ? { dnsRecords: dnsRecords.map(({ name, type, value }) => ({ name, type, value })) }
      : {}),
  }));
}

export interface CustomDomainsObserved {
  current: CustomDomain[];
  /** The declared domains; none when resetting. */
  wanted: readonly string[];
}

export interface CustomDomainsPlan {
  /** Removals go first: Logto allows one domain, so a replacement needs the old one gone. */
  remove: string[];
  add: string[];
  /** The domains as observed, reported when nothing changes (else read again after the writes). */
  unchanged: CustomDomain[];
}

export const customDomains: AspectDefinition<CustomDomainsObserved, CustomDomainsPlan> = {
  name: 'customDomains',
  declared: (resource) => resource.spec.type === 'Protected' && resource.spec.customDomains !== undefined,
  resettable: true,

  async observe(context, declared) {
    return {
      current: await context.logto.listApplicationProtectedAppMetadataCustomDomains(context.application.id),
      wanted: declared ? (context.resource.spec.customDomains ?? []) : [],
    };
  },

  plan: ({ current, wanted }) => ({
    remove: current.filter((d) => !wanted.includes(d.domain)).map((d) => d.domain),
    add: wanted.filter((d) => !current.some((existing) => existing.domain === d)),
    unchanged: current,
  }),

  async apply(context, plan) {
    const id = context.application.id;
    const changes: string[] = [];
    for (const domain of plan.remove) {
      await ignoreNotFound(() => context.logto.deleteApplicationProtectedAppMetadataCustomDomain(id, domain));
      changes.push(`custom domain ${domain} removed`);
    }
    for (const domain of plan.add) {
      await context.logto.createApplicationProtectedAppMetadataCustomDomain(id, domain);
      changes.push(`custom domain ${domain} added`);
    }
    const domains = changes.length
      ? await context.logto.listApplicationProtectedAppMetadataCustomDomains(id)
      : plan.unchanged;
    return { status: { customDomains: domains.length ? report(domains) : undefined }, changes };
  },
};

export const customDomainsAspect = aspect(customDomains);

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
