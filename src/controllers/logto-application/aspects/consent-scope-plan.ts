/**
 * What to change so that a third-party application's user consent scopes are exactly the desired
 * ones. `POST …/user-consent-scopes` inserts the kinds one after another and answers 422 on a kind
 * given as an empty array, after inserting the kinds before it: the body names only the kinds that
 * have something to add, and there is no POST when nothing is missing.
 */
import type {
  AnsweredUserScope,
  ConsentScopeType,
  CreateUserConsentScopesRequest,
} from '../../../api/schemas.js';

export interface ConsentScopeSets {
  organizationScopes: ReadonlySet<string>;
  resourceScopes: ReadonlySet<string>;
  organizationResourceScopes: ReadonlySet<string>;
  /** Observed sets may hold a scope a request cannot name; it is then only ever removed. */
  userScopes: ReadonlySet<AnsweredUserScope>;
}

export type ConsentScopeKind = keyof ConsentScopeSets;

/** The `{scopeType}` path segment of each kind, in the order Logto inserts them. */
export const CONSENT_SCOPE_KINDS: Readonly<Record<ConsentScopeKind, ConsentScopeType>> = {
  organizationScopes: 'organization-scopes',
  resourceScopes: 'resource-scopes',
  organizationResourceScopes: 'organization-resource-scopes',
  userScopes: 'user-scopes',
};

export interface ConsentScopePlan {
  /** The body of one POST, with only the non-empty kinds; absent when nothing is missing. */
  add?: CreateUserConsentScopesRequest;
  /** One DELETE each. */
  remove: Array<{ scopeType: ConsentScopeType; scopeId: string }>;
}

const kinds = Object.keys(CONSENT_SCOPE_KINDS) as ConsentScopeKind[];

export function planConsentScopes(observed: ConsentScopeSets, desired: ConsentScopeSets): ConsentScopePlan {
  const add: Record<string, string[]> = {};
  const remove: ConsentScopePlan['remove'] = [];
  for (const kind of kinds) {
    const have = observed[kind] as ReadonlySet<string>;
    const want = desired[kind] as ReadonlySet<string>;
    const missing = [...want].filter((id) => !have.has(id));
    if (missing.length > 0) add[kind] = missing;
    for (const scopeId of have) {
      if (!want.has(scopeId)) remove.push({ scopeType: CONSENT_SCOPE_KINDS[kind], scopeId });
    }
  }
  return {
    ...(Object.keys(add).length > 0 ? { add: add as CreateUserConsentScopesRequest } : {}),
    remove,
  };
}
