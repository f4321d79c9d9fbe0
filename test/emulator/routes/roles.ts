// API resource roles of machine-to-machine applications.
import { ApiError, constraintViolated, emptyInsert, relationNotFound } from '../errors.js';
import { pageLink, paginate } from '../pagination.js';
import { presentRole } from '../present.js';
import { applySearch, parseSearch } from '../search.js';
import type { ApplicationRecord } from '../state.js';
import type { EmulatorCore, OperationHandlers } from './context.js';

const requireMachineToMachine = (core: EmulatorCore, id: string): ApplicationRecord => {
  const app = core.state.requireApplication(id);
  if (app.type !== 'MachineToMachine') {
    throw new ApiError(
      422,
      'application.invalid_type',
      'Only machine-to-machine applications can have roles.',
    );
  }
  return app;
};

/** User roles answer 422, then unknown ids 404 (the server checks the roles it found first). */
const requireMachineToMachineRoles = (core: EmulatorCore, roleIds: readonly string[]) => {
  if (roleIds.some((roleId) => core.state.roles.get(roleId)?.type === 'User')) {
    throw new ApiError(
      422,
      'application.invalid_role_type',
      'Can not assign a user role to a machine-to-machine application.',
    );
  }
  for (const roleId of roleIds) core.state.requireRole(roleId);
};

export const roleHandlers: OperationHandlers<
  | 'list_application_roles'
  | 'assign_application_roles'
  | 'replace_application_roles'
  | 'delete_application_role'
> = {
  list_application_roles: ({ core, params, query }) => {
    const app = requireMachineToMachine(core, params.id);
    const search = parseSearch(query, ['id', 'name', 'description']);
    // In role order (oldest role first), not in assignment order (BEHAVIOUR.md, "Roles").
    const roles = [...app.roleIds]
      .flatMap((roleId) => core.state.roles.get(roleId) ?? [])
      .filter((role) => role.type === 'MachineToMachine')
      .sort((a, b) => a.seq - b.seq);
    const found = applySearch(roles, search, ({ id, name, description }) => ({ id, name, description }));
    const page = paginate(found, query, {
      optional: false,
      link: pageLink(core.config.endpoint, `/api/applications/${encodeURIComponent(app.id)}/roles`),
    });
    return {
      status: 200,
      body: page.items.map((role) => presentRole(core.state, role)),
      headers: page.headers,
    };
  },

  assign_application_roles: ({ core, params, body }) => {
    const app = requireMachineToMachine(core, params.id);
    const added = [...new Set(body.roleIds)].filter((roleId) => !app.roleIds.has(roleId));
    requireMachineToMachineRoles(core, added);
    for (const roleId of added) app.roleIds.add(roleId);
    return { status: 201, body: { roleIds: body.roleIds, addedRoleIds: added } };
  },

  // Removes the roles not in the body, then inserts the new ones: with nothing new, the insert of
  // zero rows fails after the removals were applied (BEHAVIOUR.md, "Roles").
  replace_application_roles: ({ core, params, body }) => {
    const app = requireMachineToMachine(core, params.id);
    const wanted = new Set(body.roleIds);
    for (const roleId of wanted) core.state.requireRole(roleId);
    for (const roleId of app.roleIds) if (!wanted.has(roleId)) app.roleIds.delete(roleId);
    const added = [...wanted].filter((roleId) => !app.roleIds.has(roleId));
    if (added.length === 0) throw emptyInsert();
    if (added.some((roleId) => core.state.roles.get(roleId)?.type !== 'MachineToMachine')) {
      throw constraintViolated();
    }
    for (const roleId of added) app.roleIds.add(roleId);
    return { status: 200 };
  },

  delete_application_role: ({ core, params }) => {
    const app = requireMachineToMachine(core, params.id);
    if (!app.roleIds.delete(params.roleId)) {
      throw relationNotFound(`The role ${params.roleId} is not assigned to the application.`);
    }
    return { status: 204 };
  },
};
