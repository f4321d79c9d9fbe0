/**
 * What LogtoGrants allow, as a pure decision (as Gateway API's ReferenceGrant: the owner's namespace
 * holds the grant, naming who may use which of its objects). A namespace always uses its own
 * declarations; another namespace only what a grant of the owner's namespace gives it.
 */
export const ROLE_REFERENCE = 'LogtoRole';
export const API_RESOURCE_REFERENCE = 'LogtoApiResource';

export interface GrantLike {
  metadata?: { namespace?: string; deletionTimestamp?: string | Date };
  spec?: {
    from?: ReadonlyArray<{ namespace: string }>;
    to?: ReadonlyArray<{ kind: string; name: string; scopes?: readonly string[] }>;
  };
}

export interface Use {
  /** The namespace that wants to use the object. */
  namespace: string;
  /** The declaring object. */
  owner: { kind: typeof ROLE_REFERENCE | typeof API_RESOURCE_REFERENCE; namespace: string; name: string };
  /** For an API resource: the scope names wanted (every one must be granted). */
  scopes?: readonly string[];
}

/**
 * Whether `use` is allowed: the owner's own namespace, or grants of the owner's namespace that name
 * the using namespace and the object (and, together, every scope wanted). A grant being deleted gives
 * nothing any more.
 */
export function mayUse(use: Use, grantsOfOwnerNamespace: readonly GrantLike[]): boolean {
  const { owner } = use;
  if (use.namespace === owner.namespace) return true;
  const granted = new Set<string>();
  let allScopes = false;
  for (const grant of grantsOfOwnerNamespace) {
    if (grant.metadata?.namespace !== owner.namespace || grant.metadata.deletionTimestamp) continue;
    if (!grant.spec?.from?.some((from) => from.namespace === use.namespace)) continue;
    for (const to of grant.spec.to ?? []) {
      if (to.kind !== owner.kind || to.name !== owner.name) continue;
      if (owner.kind === ROLE_REFERENCE || !to.scopes) allScopes = true;
      else to.scopes.forEach((scope) => granted.add(scope));
    }
  }
  if (allScopes) return true;
  const wanted = use.scopes ?? [];
  return wanted.length > 0 && wanted.every((scope) => granted.has(scope));
}
