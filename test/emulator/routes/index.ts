import { operationNames, operations, type OperationName } from '../../../src/api/operations.js';
import { tokenEndpoint } from '../auth.js';
import { accessControlHandlers } from './access-control.js';
import { apiRoleRoutes } from './api-roles.js';
import { applicationHandlers } from './applications.js';
import { consentHandlers } from './consent.js';
import type { OperationContext, OperationHandlers, RouteDef } from './context.js';
import { managementRoutes } from './management.js';
import { protectedAppHandlers, protectedAppPrechecks } from './protected-apps.js';
import { resourceRoutes } from './resources.js';
import { serverRequests } from './requests.js';
import { roleHandlers } from './roles.js';
import { secretHandlers } from './secrets.js';
import { signInExperienceHandlers } from './sign-in-experience.js';

/**
 * Operations of the table that the routes of resources.ts and api-roles.ts serve: those check bodies
 * with the server's own guards, which accept what the operator never sends (`scopeIds` on a role
 * create, a role without `type`, …), so the table's request schemas do not apply to them.
 */
const routedOperations = [
  'create_resource',
  'get_resource',
  'list_resources',
  'update_resource',
  'delete_resource',
  'list_resource_scopes',
  'create_resource_scope',
  'update_resource_scope',
  'delete_resource_scope',
  'create_role',
  'get_role',
  'list_roles',
  'update_role',
  'delete_role',
  'list_role_scopes',
  'assign_role_scopes',
  'delete_role_scope',
] as const satisfies readonly OperationName[];
type RoutedOperation = (typeof routedOperations)[number];
const isRouted = (name: OperationName): name is RoutedOperation =>
  (routedOperations as readonly string[]).includes(name);

/** One handler per other operation of the table: the type checker refuses a missing one. */
const operationHandlers: OperationHandlers<Exclude<OperationName, RoutedOperation>> = {
  ...applicationHandlers,
  ...secretHandlers,
  ...roleHandlers,
  ...consentHandlers,
  ...signInExperienceHandlers,
  ...protectedAppHandlers,
  ...accessControlHandlers,
};

/** Checks made before the body is validated. */
const prechecks: Partial<Record<OperationName, RouteDef['precheck']>> = { ...protectedAppPrechecks };

// The table's routes: path, method and body schema come from src/api/operations.ts.
const operationRoutes: RouteDef[] = operationNames.flatMap((name) => {
  if (isRouted(name)) return [];
  const spec = operations[name];
  const handler = operationHandlers[name] as (
    context: OperationContext<typeof name>,
  ) => ReturnType<RouteDef['handle']>;
  return {
    method: spec.method,
    path: spec.path,
    operation: name,
    auth: true,
    request: serverRequests[name] ?? ('request' in spec ? spec.request : undefined),
    precheck: prechecks[name],
    handle: ({ core, params, body, query }) =>
      handler({
        core,
        params: params as OperationContext<typeof name>['params'],
        body: body as never,
        query,
      }),
  };
});

/** The routes of the routed operations, named after their operation (for the call records). */
const tagOperations = (plain: readonly RouteDef[]): RouteDef[] => {
  const tagged = plain.map((route) => {
    const operation = routedOperations.find(
      (name) => operations[name].method === route.method && operations[name].path === route.path,
    );
    return operation ? { ...route, operation } : route;
  });
  const untagged = routedOperations.filter((name) => !tagged.some((route) => route.operation === name));
  if (untagged.length > 0) throw new Error(`No emulator route serves ${untagged.join(', ')}`);
  return tagged;
};

const tokenRoute: RouteDef = { method: 'POST', path: '/oidc/token', auth: false, handle: tokenEndpoint };

export const routes: readonly RouteDef[] = [
  ...operationRoutes,
  ...managementRoutes,
  ...tagOperations([...resourceRoutes, ...apiRoleRoutes]),
  tokenRoute,
];
