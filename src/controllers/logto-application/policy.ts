/**
 * The connection's policy applied to a LogtoApplication pass: it gathers the facts the pure checks of
 * src/connections/policy.ts decide on (a role's scopes, an existing application's roles and isAdmin)
 * through Logto reads only, and turns a denial into a PolicyDenied stop before any Logto write.
 */
import type { Application, ApplicationDetails, Role } from '../../api/schemas.js';
import { managementApiAccessRoleName } from '../../api/schemas.js';
import type { ConnectionPolicy } from '../../crd/logto-connection.js';
import type { LogtoApplication } from '../../crd/logto-application.js';
import { checkDeclaration, checkExisting, checkRole, type FoundBy } from '../../connections/policy.js';
import { policyDenied } from '../../connections/registry.js';
import type { Located } from './locate-application.js';
import type { LogtoApplicationsApi } from './ports.js';
import type { ConnectionHealth } from '../../connections/health.js';
import { listAll } from '../../api/client.js';

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
  resolve(resource: LogtoApplication): Promise<PassConnection>;
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

/** The declared type and third-party setting, and every role of spec.roles, against the policy. */
export async function checkSpec(
  resource: LogtoApplication,
  connection: PassConnection,
  logto: LogtoApplicationsApi,
): Promise<void> {
  if (connection.unrestricted) return;
  const { policy, key } = connection;
  const declaration = checkDeclaration(policy, resource.spec);
  if (declaration) throw policyDenied(key, declaration);
  if (resource.spec.type !== 'MachineToMachine') return;
  const directory = logto.directory.forPass();
  for (const ref of resource.spec.roles ?? []) {
    // A role that does not exist is reported by the roles aspect (RoleNotFound).
    const role = await directory.findRole(ref);
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
