/**
 * Organizations each user lets a third-party application access, replaced per user. A user the
 * spec no longer lists (but the operator managed) has their grants cleared.
 */
import { sameSet } from '../../../util/json.js';
import type { Aspect, AspectContext } from './aspect.js';

async function grantedOrganizationIds(context: AspectContext, userId: string): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 1; ; page++) {
    const { organizations } = await context.logto.listApplicationUserConsentOrganizations(
      context.application.id,
      userId,
      {
        page,
        page_size: 100,
      },
    );
    ids.push(...organizations.map((o) => o.id));
    if (organizations.length < 100) return ids;
  }
}

async function replaceIfDifferent(
  context: AspectContext,
  userId: string,
  organizationIds: string[],
): Promise<boolean> {
  const current = await grantedOrganizationIds(context, userId);
  if (sameSet(current, organizationIds)) return false;
  await context.logto.replaceApplicationUserConsentOrganizations(
    context.application.id,
    userId,
    organizationIds,
  );
  return true;
}

export const consentOrganizationsAspect: Aspect = {
  name: 'userConsentOrganizations',
  declared: (resource) => resource.spec.userConsentOrganizations !== undefined,

  async sync(context) {
    const declared = context.resource.spec.userConsentOrganizations ?? [];
    const changes: string[] = [];
    for (const { userId, organizationIds } of declared) {
      if (await replaceIfDifferent(context, userId, organizationIds))
        changes.push(`consent organizations of user ${userId}`);
    }
    // Users dropped from the list since the last successful pass.
    const previous = context.resource.status?.consentOrganizationUsers ?? [];
    for (const userId of previous) {
      if (declared.some((d) => d.userId === userId)) continue;
      if (await replaceIfDifferent(context, userId, []))
        changes.push(`consent organizations of user ${userId}`);
    }
    return { status: { consentOrganizationUsers: declared.map((d) => d.userId) }, changes };
  },

  async reset(context) {
    const changes: string[] = [];
    for (const userId of context.resource.status?.consentOrganizationUsers ?? []) {
      if (await replaceIfDifferent(context, userId, []))
        changes.push(`consent organizations of user ${userId}`);
    }
    return { status: { consentOrganizationUsers: undefined }, changes };
  },
};
