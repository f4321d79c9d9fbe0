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

/** One handler per operation of the table: the type checker refuses a missing one. */
const operationHandlers: OperationHandlers = {
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
const operationRoutes: RouteDef[] = operationNames.map((name) => {
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

const tokenRoute: RouteDef = { method: 'POST', path: '/oidc/token', auth: false, handle: tokenEndpoint };

export const routes: readonly RouteDef[] = [
  ...operationRoutes,
  ...managementRoutes,
  ...resourceRoutes,
  ...apiRoleRoutes,
  tokenRoute,
];
