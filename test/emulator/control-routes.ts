// Test controls over HTTP under /__emulator/ (for the standalone emulator). Never recorded, never
// subject to faults, no authentication: the emulator only listens on loopback.
import { isAdjustable } from './clock.js';
import { ApiError } from './errors.js';
import type { FaultRule, OutageMode } from './faults.js';
import { parseJson, type Reply } from './http.js';
import type { LogtoEmulator } from './emulator.js';
import type { SeedSpec } from './seed.js';

export const controlPrefix = '/__emulator/';

const badRequest = (message: string) => new ApiError(400, 'emulator.invalid_request', message);

const objectBody = (raw: Buffer): Record<string, unknown> => {
  const body = parseJson(raw) ?? {};
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('Expected a JSON object.');
  return body as Record<string, unknown>;
};

/** A summary of the tenant without any secret value. */
const stateSummary = (emulator: LogtoEmulator) => ({
  applications: [...emulator.state.applications.values()].map((app) => ({
    id: app.id,
    name: app.name,
    type: app.type,
    isThirdParty: app.isThirdParty,
    secrets: app.secrets.map(({ name, expiresAt }) => ({ name, expiresAt })),
    hasLegacySecret: app.legacySecret !== null,
    roleIds: [...app.roleIds],
  })),
  roles: [...emulator.state.roles.values()].map(({ id, name, type }) => ({ id, name, type })),
  resources: [...emulator.state.resources.values()].map(({ id, name, indicator }) => ({
    id,
    name,
    indicator,
  })),
  organizations: [...emulator.state.organizations.values()].map(({ id, name, members }) => ({
    id,
    name,
    members: [...members],
  })),
  organizationScopes: [...emulator.state.organizationScopes.values()].map(({ id, name }) => ({ id, name })),
  organizationRoles: [...emulator.state.organizationRoles.values()].map(({ id, name }) => ({ id, name })),
  users: [...emulator.state.users.values()].map(({ id, name }) => ({ id, name })),
});

export const handleControl = (
  emulator: LogtoEmulator,
  method: string,
  path: string,
  query: URLSearchParams,
  raw: Buffer,
): Reply => {
  const route = `${method} ${path.slice(controlPrefix.length - 1)}`;
  const faultId = /^DELETE \/faults\/([^/]+)$/.exec(route)?.[1];
  if (faultId !== undefined) {
    if (!emulator.faults.remove(decodeURIComponent(faultId)))
      throw new ApiError(404, 'emulator.not_found', 'No such fault');
    return { status: 204 };
  }
  switch (route) {
    case 'GET /health':
      return { status: 200, body: { status: 'ok' } };
    case 'POST /reset':
      emulator.reset();
      return { status: 204 };
    case 'POST /expire-tokens':
      emulator.expireTokens();
      return { status: 204 };
    case 'GET /calls': {
      const status = query.get('status');
      return {
        status: 200,
        body: emulator.calls.list({
          method: query.get('method') ?? undefined,
          route: query.get('route') ?? undefined,
          operation: query.get('operation') ?? undefined,
          status: status === null ? undefined : Number(status),
        }),
      };
    }
    case 'DELETE /calls':
      emulator.calls.clear();
      return { status: 204 };
    case 'GET /faults':
      return { status: 200, body: { rules: emulator.faults.list(), outage: emulator.faults.outage ?? null } };
    case 'POST /faults':
      try {
        return { status: 201, body: { id: emulator.faults.inject(objectBody(raw) as FaultRule) } };
      } catch (error) {
        if (error instanceof RangeError) throw badRequest(error.message);
        throw error;
      }
    case 'DELETE /faults':
      emulator.faults.clear();
      return { status: 204 };
    case 'GET /late-commits':
      return { status: 200, body: { pending: emulator.faults.lateCommits.pending } };
    case 'POST /late-commits':
      return { status: 200, body: { committed: emulator.faults.lateCommits.commitNow() } };
    case 'POST /outage': {
      const { mode = 503 } = objectBody(raw);
      if (mode !== 500 && mode !== 503 && mode !== 'reset')
        throw badRequest('mode must be 500, 503 or "reset"');
      emulator.faults.startOutage(mode as OutageMode);
      return { status: 204 };
    }
    case 'DELETE /outage':
      emulator.faults.endOutage();
      return { status: 204 };
    case 'POST /clock/advance': {
      const { ms } = objectBody(raw);
      if (typeof ms !== 'number' || !isAdjustable(emulator.clock)) throw badRequest('Expected {ms: number}');
      emulator.clock.advance(ms);
      return { status: 200, body: { now: emulator.clock.now() } };
    }
    case 'POST /seed': {
      let result;
      try {
        result = emulator.seed.apply(objectBody(raw) as SeedSpec);
      } catch (error) {
        if (error instanceof ApiError) throw error;
        throw badRequest(error instanceof Error ? error.message : String(error));
      }
      const ids = <T extends { id: string }>(records: T[]) => records.map(({ id }) => id);
      return {
        status: 201,
        body: {
          resources: result.resources.map(({ resource, scopes }) => ({
            id: resource.id,
            scopeIds: ids(scopes),
          })),
          roles: ids(result.roles),
          organizationScopes: ids(result.organizationScopes),
          organizationRoles: ids(result.organizationRoles),
          users: ids(result.users),
          applications: ids(result.applications),
          organizations: ids(result.organizations),
        },
      };
    }
    case 'GET /state':
      return { status: 200, body: stateSummary(emulator) };
    default:
      throw new ApiError(404, 'emulator.not_found', `No control ${route}`);
  }
};
