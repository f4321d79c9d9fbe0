/**
 * Organizations each user lets a third-party application access, replaced per user. A user the
 * spec no longer lists (but the operator managed) has their grants cleared.
 */
import type { LogtoApplicationStatus } from '../../../crd/logto-application.js';
import { sameSet } from '../../../util/json.js';
import { aspect, type AspectContext, type AspectDefinition } from './aspect.js';
import { listAll } from '../../../api/client.js';

export interface UserGrants {
  userId: string;
  organizationIds: string[];
}

export interface ConsentOrganizationsObserved {
  /** Per user: the desired grants (none for a user no longer declared) and the current ones. */
  users: { desired: UserGrants; current: string[] }[];
  /** The declared users; undefined when resetting. */
  declaredUsers?: string[];
}

export interface ConsentOrganizationsPlan {
  replace: UserGrants[];
  status: Pick<LogtoApplicationStatus, 'consentOrganizationUsers'>;
}

async function grantedOrganizationIds(context: AspectContext, userId: string): Promise<string[]> {
  const organizations = await listAll(
    'list_application_user_consent_organizations',
    async (page, pageSize) =>
      (
        await context.logto.listApplicationUserConsentOrganizations(context.application.id, userId, {
          page,
          page_size: pageSize,
        })
      ).organizations,
  );
  return organizations.map((o) => o.id);
}

/** The users to converge: the declared ones, then those managed before (status) and dropped since. */
function usersToConverge(context: AspectContext, declared: boolean): UserGrants[] {
  const listed = declared ? (context.resource.spec.userConsentOrganizations ?? []) : [];
  const dropped = (context.resource.status?.consentOrganizationUsers ?? [])
    .filter((userId) => !listed.some((d) => d.userId === userId))
    .map((userId) => ({ userId, organizationIds: [] }));
  return [...listed.map(({ userId, organizationIds }) => ({ userId, organizationIds })), ...dropped];
}

export const consentOrganizations: AspectDefinition<ConsentOrganizationsObserved, ConsentOrganizationsPlan> =
  {
    name: 'userConsentOrganizations',
    declared: (resource) => resource.spec.userConsentOrganizations !== undefined,
    resettable: true,

    async observe(context, declared) {
      const users: ConsentOrganizationsObserved['users'] = [];
      for (const desired of usersToConverge(context, declared)) {
        users.push({ desired, current: await grantedOrganizationIds(context, desired.userId) });
      }
      const declaredUsers = declared
        ? (context.resource.spec.userConsentOrganizations ?? []).map((d) => d.userId)
        : undefined;
      return { users, ...(declaredUsers ? { declaredUsers } : {}) };
    },

    plan: ({ users, declaredUsers }) => ({
      replace: users
        .filter(({ desired, current }) => !sameSet(current, desired.organizationIds))
        .map(({ desired }) => desired),
      status: { consentOrganizationUsers: declaredUsers },
    }),

    async apply(context, plan) {
      for (const { userId, organizationIds } of plan.replace) {
        await context.logto.replaceApplicationUserConsentOrganizations(
          context.application.id,
          userId,
          organizationIds,
        );
      }
      return {
        status: plan.status,
        changes: plan.replace.map(({ userId }) => `consent organizations of user ${userId}`),
      };
    },
  };

export const consentOrganizationsAspect = aspect(consentOrganizations);
