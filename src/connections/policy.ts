/**
 * A connection's policy as pure decisions: given what the operator knows (a namespace's labels, a
 * spec, a role's scopes, an existing application), may a LogtoApplication do this through the
 * connection? Each check answers undefined (allowed) or a denial naming the rule that refused.
 * Secure by default: no Management API roles, no adoption, never the connection's own application, and
 * no role or consent scope that no object of the cluster declares unless the policy lists it.
 */
import type { ConnectionPolicy, LabelSelector } from '../crd/logto-connection.js';

export interface PolicyDenial {
  /** The policy field (or built-in rule) that refused, e.g. `roles.allowManagementApiRoles`. */
  rule: string;
  message: string;
}

export type Verdict = PolicyDenial | undefined;

/** Whether `labels` satisfy a metav1.LabelSelector; an absent or empty selector matches everything. */
export function matchesLabelSelector(
  selector: LabelSelector | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, key);
    const ok =
      operator === 'Exists'
        ? has
        : operator === 'DoesNotExist'
          ? !has
          : operator === 'In'
            ? has && values.includes(labels[key]!)
            : !has || !values.includes(labels[key]!);
    if (!ok) return false;
  }
  return true;
}

/** A name pattern where `*` matches any text (also none); everything else is literal. */
export function namePatternMatches(pattern: string, name: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 's').test(name);
}

/** Whether a namespace may use a ClusterLogtoConnection (its `policy.namespaceSelector`). */
export function checkNamespace(
  policy: ConnectionPolicy | undefined,
  namespace: string,
  labels: Readonly<Record<string, string>>,
): Verdict {
  if (matchesLabelSelector(policy?.namespaceSelector, labels)) return undefined;
  return {
    rule: 'namespaceSelector',
    message: `namespace ${namespace} is not selected by the connection's namespaceSelector`,
  };
}

/** Whether the declared type and third-party setting are allowed (`policy.applications`). */
export function checkDeclaration(
  policy: ConnectionPolicy | undefined,
  spec: { type: string; isThirdParty?: boolean | undefined },
): Verdict {
  const allowedTypes = policy?.applications?.allowedTypes;
  if (allowedTypes && !(allowedTypes as readonly string[]).includes(spec.type)) {
    return {
      rule: 'applications.allowedTypes',
      message: `type ${spec.type} is not among the allowed types (${allowedTypes.join(', ') || 'none'})`,
    };
  }
  if (spec.isThirdParty && policy?.applications?.allowThirdParty === false) {
    return { rule: 'applications.allowThirdParty', message: 'third-party applications are not allowed' };
  }
  return undefined;
}

export interface RoleFacts {
  id: string;
  name: string;
  /** The role carries at least one scope of the connection's Management API resource. */
  grantsManagementApi: boolean;
}

/** Whether a role that carries Management API scopes may be given (`policy.roles.allowManagementApiRoles`). */
export function checkRole(policy: ConnectionPolicy | undefined, role: RoleFacts): Verdict {
  if (role.grantsManagementApi && policy?.roles?.allowManagementApiRoles !== true) {
    return {
      rule: 'roles.allowManagementApiRoles',
      message:
        `role "${role.name}" (${role.id}) carries Management API scopes, which administer the whole tenant; ` +
        'the connection does not allow Management API roles',
    };
  }
  return undefined;
}

/**
 * Whether the policy lists a role no LogtoRole of the cluster declares (`policy.roles.allowed`), by
 * the name or id the spec wrote, or those of the role it names.
 */
export function listsRole(
  policy: ConnectionPolicy | undefined,
  ref: string,
  role: { id: string; name: string } | undefined,
): boolean {
  const allowed = policy?.roles?.allowed ?? [];
  return (
    allowed.includes(ref) ||
    (role !== undefined && (allowed.includes(role.name) || allowed.includes(role.id)))
  );
}

/** Whether the policy lists these scopes of an API resource no LogtoApiResource declares. */
export function listsResourceScopes(
  policy: ConnectionPolicy | undefined,
  indicator: string,
  scopes: readonly string[],
): boolean {
  const entries = (policy?.consentScopes?.resources ?? []).filter((entry) => entry.indicator === indicator);
  if (entries.some((entry) => !entry.scopes)) return true;
  const listed = new Set(entries.flatMap((entry) => entry.scopes ?? []));
  return entries.length > 0 && scopes.every((scope) => listed.has(scope));
}

/** Whether the policy lists an organization scope (by the name or id written, or those of the scope). */
export function listsOrganizationScope(
  policy: ConnectionPolicy | undefined,
  ref: string,
  scope: { id: string; name: string } | undefined,
): boolean {
  const listed = policy?.consentScopes?.organizationScopes ?? [];
  return (
    listed.includes(ref) ||
    (scope !== undefined && (listed.includes(scope.name) || listed.includes(scope.id)))
  );
}

/**
 * Whether an existing role or API resource that no object of the cluster declares may be taken over
 * or observed (`policy.adoption.roleNames` / `apiResourceIndicators`).
 */
export function mayAdoptByKey(
  policy: ConnectionPolicy | undefined,
  kind: 'role' | 'apiResource',
  key: string,
): boolean {
  const patterns =
    (kind === 'role' ? policy?.adoption?.roleNames : policy?.adoption?.apiResourceIndicators) ?? [];
  return patterns.some((pattern) => namePatternMatches(pattern, key));
}

/**
 * How an existing application came to a resource: named by `spec.adoptApplicationId`, or found
 * through an ownership marker (the resource's own, or one left by the object it replaced).
 */
export type FoundBy = 'adoption' | 'marker';

export interface ExistingApplication {
  id: string;
  name: string;
  /** `isAdmin: true` grants Management API access without any role. */
  isAdmin: boolean;
  /** Names of the roles it holds that carry Management API scopes. */
  managementApiRoles: readonly string[];
}

/**
 * Whether a resource may take over an existing application. Never the connection's own application;
 * never one with Management API access unless allowed; and, for `spec.adoptApplicationId`, only one
 * the adoption policy lists by id or name pattern. An application found through a marker was made
 * for the resource, so only the first two rules apply to it.
 */
export function checkExisting(
  policy: ConnectionPolicy | undefined,
  by: FoundBy,
  application: ExistingApplication,
  connectionApplicationId: string | undefined,
): Verdict {
  if (application.id === connectionApplicationId) {
    return {
      rule: 'ownApplication',
      message: `Logto application ${application.id} is the connection's own machine-to-machine application`,
    };
  }
  const adoption = policy?.adoption;
  if (
    (application.isAdmin || application.managementApiRoles.length > 0) &&
    adoption?.allowManagementApiApplications !== true
  ) {
    const what = application.isAdmin
      ? 'is an admin application (isAdmin)'
      : `holds Management API roles (${application.managementApiRoles.join(', ')})`;
    return {
      rule: 'adoption.allowManagementApiApplications',
      message: `Logto application ${application.id} ${what}; the connection does not allow taking it over`,
    };
  }
  if (by === 'marker') return undefined;
  const byId = adoption?.applicationIds?.includes(application.id) ?? false;
  const byName = adoption?.namePatterns?.some((p) => namePatternMatches(p, application.name)) ?? false;
  if (byId || byName) return undefined;
  return {
    rule: 'adoption',
    message:
      adoption?.applicationIds?.length || adoption?.namePatterns?.length
        ? `Logto application ${application.id} ("${application.name}") matches none of the ids and name patterns the connection allows to adopt`
        : 'the connection does not allow adopting existing applications',
  };
}
