/**
 * The connection's policy applied to a LogtoApplication pass: it gathers the facts the pure checks of
 * src/connections/policy.ts decide on (a role's scopes, an existing application's roles and isAdmin)
 * through Logto reads only, and turns a denial into a PolicyDenied stop before any Logto write.
 */
import type { Application, ApplicationDetails, Role } from '../../api/schemas.js';
import { managementApiAccessRoleName } from '../../api/schemas.js';
import type { ConnectionPolicy } from '../../crd/logto-connection.js';
import type { LogtoApplication } from '../../crd/logto-application.js';
import {
  checkDeclaration,
  checkExisting,
  checkRole,
  listsOrganizationScope,
  listsResourceScopes,
  listsRole,
  type FoundBy,
} from '../../connections/policy.js';
import type { Declarations } from '../declared/declarations.js';
import { ReconcileStop } from './outcome.js';
import { policyDenied, type ConnectionUser } from '../../connections/registry.js';
import type { Located } from './locate-application.js';
import type { LogtoApplicationsApi } from './ports.js';
import type { ConnectionHealth } from '../../connections/health.js';
import { listAll } from '../../api/client.js';
import { ignoreNotFound } from '../../api/errors.js';
import { CONSENT_SCOPE_KINDS } from './aspects/consent-scope-plan.js';

/** The connection a pass goes through, as the reconciler sees it. */
export interface PassConnection {
  key: string;
  logto: LogtoApplicationsApi;
  /** Logto's URL as applications reach it. */
  publicEndpoint: string;
  managementApiResource: string;
  policy: ConnectionPolicy | undefined;
  /** The id of the application the connection acts as. */
  applicationId(): Promise<string>;
  /** The pin to record on a resource that has no connectionRef and none yet. */
  pin?: string;
  /** No policy applies (a reconciler built without connections: unit tests, embeddings). */
  unrestricted?: boolean;
  /** The connection's breaker, Retry-After and pass slots; every pass asks it first. */
  health?: ConnectionHealth;
}

export interface ConnectionResolver {
  resolve(resource: ConnectionUser): Promise<PassConnection>;
}

/**
 * Whether a role carries a scope of the connection's Management API resource. Fails closed: when the
 * Management API resource cannot be found (even after a fresh read), nobody can tell, and the role is
 * refused rather than let through.
 */
async function grantsManagementApi(
  logto: LogtoApplicationsApi,
  connection: PassConnection,
  role: Pick<Role, 'id' | 'name'>,
  /** The policy rule the answer decides, named in a refusal. */
  rule: string,
): Promise<boolean> {
  if (role.name === managementApiAccessRoleName) return true;
  const { resource: management } = await logto.directory
    .forPass()
    .findResourceScopes(connection.managementApiResource);
  if (!management) {
    throw policyDenied(connection.key, {
      rule,
      message:
        `cannot tell whether role "${role.name}" carries Management API scopes: the tenant has no API ` +
        `resource ${connection.managementApiResource} (the connection's managementApiResource)`,
    });
  }
  const scopes = await logto.directory.roleScopes(role.id);
  return scopes.some((scope) => scope.resourceId === management.id);
}

/**
 * The declared type and third-party setting, every role of spec.roles and every consent scope
 * against the policy. A role or scope is usable when a LogtoRole or LogtoApiResource of the
 * resource's namespace declares it, when a LogtoGrant of the declaring namespace gives it to this
 * one, or (declared by nobody in the cluster) when the connection's policy lists it. A refusal reads
 * the same whether the role or scope exists or not: it tells a namespace nothing about what others
 * have.
 */
export async function checkSpec(
  resource: LogtoApplication,
  connection: PassConnection,
  logto: LogtoApplicationsApi,
  declarations?: Declarations,
): Promise<void> {
  if (connection.unrestricted) return;
  const { policy, key } = connection;
  const declaration = checkDeclaration(policy, resource.spec);
  if (declaration) throw policyDenied(key, declaration);
  const refusals: Array<Refusal | Wait> = [];
  if (resource.spec.type === 'MachineToMachine') {
    refusals.push(...(await checkRoles(resource, connection, logto, declarations)));
  }
  refusals.push(...(await checkConsentScopes(resource, connection, logto, declarations)));
  // A declaration not yet made in Logto is waited for, but only once what is refused is taken away.
  const wait = refusals.find((r): r is Wait => 'wait' in r);
  const [first, ...others] = refusals.filter((r): r is Refusal => 'denial' in r);
  if (!first) {
    if (wait) throw wait.wait;
    return;
  }
  // What the application holds and may no longer hold (a grant was taken back, a role left the
  // policy) is taken away; nothing else is written while the spec is refused.
  const applicationId = resource.status?.applicationId;
  let revoked = false;
  if (applicationId) {
    for (const refusal of [first, ...others]) {
      if (refusal.revoke) revoked = (await ignoreNotFound(() => refusal.revoke!(applicationId))) || revoked;
    }
  }
  const more = others.length > 0 ? ` (and ${others.length} more)` : '';
  throw policyDenied(key, {
    rule: first.denial.rule,
    message: `${first.denial.message}${more}${revoked ? '; taken away from the application' : ''}`,
  });
}

/** A refused role or scope, and how to take it from the application, should it hold it. */
interface Refusal {
  denial: { rule: string; message: string };
  revoke?: (applicationId: string) => Promise<unknown>;
}

/** A role or scope that a declaration this namespace may use has not made in Logto yet. */
interface Wait {
  wait: ReconcileStop;
}

async function checkRoles(
  resource: LogtoApplication,
  connection: PassConnection,
  logto: LogtoApplicationsApi,
  declarations: Declarations | undefined,
): Promise<Array<Refusal | Wait>> {
  const { policy, key } = connection;
  const refusals: Array<Refusal | Wait> = [];
  const { namespace } = resource.metadata;
  const directory = logto.directory.forPass();
  for (const ref of resource.spec.roles ?? []) {
    const role = await directory.findRole(ref);
    const owner = role && declarations?.roleOwner(role.description);
    if (!role && declarations?.pendingRole(namespace, ref)) {
      refusals.push({
        wait: new ReconcileStop(
          'RoleNotFound',
          `spec.roles: role "${ref}" is declared by a LogtoRole that has not made it in Logto yet`,
          { recheckAfterMs: 30_000 },
        ),
      });
      continue;
    }
    const usable = owner ? declarations!.mayUseRole(namespace, owner) : listsRole(policy, ref, role);
    if (!usable) {
      refusals.push({
        denial: {
          rule: 'roles.allowed',
          message:
            `spec.roles: "${ref}" is not a role declared by a LogtoRole of this namespace, granted to it by ` +
            "a LogtoGrant, or listed in the connection's roles.allowed",
        },
        ...(role ? { revoke: (appId: string) => logto.deleteApplicationRole(appId, role.id) } : {}),
      });
      continue;
    }
    // Usable but missing: the roles aspect reports RoleNotFound.
    if (!role) continue;
    const rule = 'roles.allowManagementApiRoles';
    const denial = checkRole(policy, {
      id: role.id,
      name: role.name,
      // Allowed either way: nothing to read.
      grantsManagementApi:
        policy?.roles?.allowManagementApiRoles !== true &&
        (await grantsManagementApi(logto, connection, role, rule)),
    });
    if (denial) throw policyDenied(key, denial);
  }
  return refusals;
}

async function checkConsentScopes(
  resource: LogtoApplication,
  connection: PassConnection,
  logto: LogtoApplicationsApi,
  declarations: Declarations | undefined,
): Promise<Array<Refusal | Wait>> {
  const consent = resource.spec.userConsentScopes;
  if (!consent) return [];
  const { policy } = connection;
  const refusals: Array<Refusal | Wait> = [];
  const { namespace } = resource.metadata;
  const directory = logto.directory.forPass();
  const groups = [
    ['resourceScopes', consent.resourceScopes],
    ['organizationResourceScopes', consent.organizationResourceScopes],
  ] as const;
  for (const [field, list] of groups) {
    for (const group of list ?? []) {
      const { resource: found } = await directory.findResourceScopes(group.resource, group.scopes);
      // Scopes by name (a grant or a policy names them so), also where the spec wrote an id.
      const names = group.scopes.map(
        (ref) =>
          found?.scopes.find((s) => s.name === ref)?.name ??
          found?.scopes.find((s) => s.id === ref)?.name ??
          ref,
      );
      const owner = found && declarations?.apiResourceOwner(found.name);
      if (!found && declarations?.pendingApiResource(namespace, group.resource, names)) {
        refusals.push({
          wait: new ReconcileStop(
            'ScopeNotFound',
            `spec.userConsentScopes.${field}: API resource ${group.resource} is declared by a LogtoApiResource ` +
              'that has not made it in Logto yet',
            { recheckAfterMs: 30_000 },
          ),
        });
        continue;
      }
      const usable = owner
        ? declarations!.mayUseScopes(namespace, owner, names)
        : listsResourceScopes(policy, found?.indicator ?? group.resource, names);
      if (!usable) {
        const ids = found
          ? group.scopes.flatMap((ref) => {
              const scope =
                found.scopes.find((s) => s.name === ref) ?? found.scopes.find((s) => s.id === ref);
              return scope ? [scope.id] : [];
            })
          : [];
        refusals.push({
          denial: {
            rule: 'consentScopes.resources',
            message:
              `spec.userConsentScopes.${field}: scopes ${names.map((n) => `"${n}"`).join(', ')} of ` +
              `"${group.resource}" are not declared by a LogtoApiResource of this namespace, granted to it by a ` +
              "LogtoGrant, or listed in the connection's consentScopes.resources",
          },
          revoke: async (appId: string) => {
            for (const scopeId of ids) {
              await ignoreNotFound(() =>
                logto.deleteApplicationUserConsentScope(appId, CONSENT_SCOPE_KINDS[field], scopeId),
              );
            }
            return ids.length > 0;
          },
        });
      }
    }
  }
  for (const ref of consent.organizationScopes ?? []) {
    const scope = await directory.findOrganizationScope(ref);
    if (!listsOrganizationScope(policy, ref, scope)) {
      refusals.push({
        denial: {
          rule: 'consentScopes.organizationScopes',
          message:
            `spec.userConsentScopes.organizationScopes: "${ref}" is not listed in the connection's ` +
            'consentScopes.organizationScopes',
        },
        ...(scope
          ? {
              revoke: (appId: string) =>
                logto.deleteApplicationUserConsentScope(
                  appId,
                  CONSENT_SCOPE_KINDS.organizationScopes,
                  scope.id,
                ),
            }
          : {}),
      });
    }
  }
  return refusals;
}

/** Names of the application's roles that carry Management API scopes. */
async function managementApiRoles(
  logto: LogtoApplicationsApi,
  connection: PassConnection,
  application: Application,
): Promise<string[]> {
  if (application.type !== 'MachineToMachine') return [];
  // Allowed either way: nothing to read.
  if (connection.policy?.adoption?.allowManagementApiApplications === true) return [];
  const roles = await listAll('list_application_roles', (page, pageSize) =>
    logto.listApplicationRoles(application.id, { page, page_size: pageSize }),
  );
  const names: string[] = [];
  for (const role of roles) {
    if (await grantsManagementApi(logto, connection, role, 'adoption.allowManagementApiApplications'))
      names.push(role.name);
  }
  return names;
}

/**
 * An existing application the pass is about to take over (adopted, or found through a marker)
 * against the policy. Applications the resource recorded itself were checked when first found.
 */
export async function checkLocated(
  located: Located,
  connection: PassConnection,
  logto: LogtoApplicationsApi,
): Promise<void> {
  // What the resource already recorded was checked when it was first found.
  if (connection.unrestricted || located.decision === 'create') return;
  if (located.decision === 'use' && !located.record) return;
  const by: FoundBy = located.decision === 'take-back' && located.as === 'adoption' ? 'adoption' : 'marker';
  const { application } = located;
  const ownId = await connection.applicationId();
  const facts = { id: application.id, name: application.name };
  // The connection's own application is refused before anything else is read about it.
  const own = checkExisting(
    connection.policy,
    by,
    { ...facts, isAdmin: false, managementApiRoles: [] },
    ownId,
  );
  if (own?.rule === 'ownApplication') throw policyDenied(connection.key, own);
  // Adopted applications come from GET by id, which says isAdmin; list items (marker finds) do not.
  const listed = (application as Partial<ApplicationDetails>).isAdmin;
  const isAdmin = typeof listed === 'boolean' ? listed : (await logto.getApplication(application.id)).isAdmin;
  // Kept on the located application, so that the pass reports it in status without reading it again.
  (application as Partial<ApplicationDetails>).isAdmin = isAdmin;
  const denial = checkExisting(
    connection.policy,
    by,
    {
      ...facts,
      isAdmin,
      managementApiRoles: await managementApiRoles(logto, connection, application),
    },
    ownId,
  );
  if (denial) throw policyDenied(connection.key, denial);
}
