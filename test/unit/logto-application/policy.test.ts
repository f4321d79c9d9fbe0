import { describe, expect, it } from 'vitest';
import type { Application } from '../../../src/api/schemas.js';
import type { LogtoApplication } from '../../../src/crd/logto-application.js';
import type { ConnectionPolicy } from '../../../src/crd/logto-connection.js';
import type { ReconcileStop } from '../../../src/controllers/logto-application/outcome.js';
import {
  checkLocated,
  checkSpec,
  type PassConnection,
} from '../../../src/controllers/logto-application/policy.js';
import type { LogtoApplicationsApi } from '../../../src/controllers/logto-application/ports.js';

const MANAGEMENT = 'https://default.logto.app/api';
const roles = {
  admin: { id: 'r-admin', name: 'Logto Management API access', scopes: ['mgmt-all'] },
  sneaky: { id: 'r-sneaky', name: 'sneaky', scopes: ['mgmt-all'] },
  reader: { id: 'r-read', name: 'orders:read', scopes: ['orders-read'] },
};
const scopeResource: Record<string, string> = { 'mgmt-all': 'res-mgmt', 'orders-read': 'res-orders' };

function fakeLogto(
  options: { appRoles?: (keyof typeof roles)[]; isAdmin?: boolean; managementResource?: boolean } = {},
) {
  const calls: string[] = [];
  const find = (ref: string) => Object.values(roles).find((r) => r.name === ref || r.id === ref);
  const management = options.managementResource === false ? undefined : { id: 'res-mgmt', scopes: [] };
  const logto = {
    directory: {
      forPass: () => ({
        findRole: (ref: string) => Promise.resolve(find(ref)),
        findResourceScopes: (indicator: string) =>
          Promise.resolve({
            resource: indicator === MANAGEMENT ? management : undefined,
            missingScopes: [],
            scopeIds: [],
          }),
      }),
      roleScopes: (id: string) => {
        calls.push(`roleScopes ${id}`);
        const role = Object.values(roles).find((r) => r.id === id)!;
        return Promise.resolve(role.scopes.map((scope) => ({ id: scope, resourceId: scopeResource[scope] })));
      },
    },
    getApplication: (id: string) => {
      calls.push(`getApplication ${id}`);
      return Promise.resolve({ id, isAdmin: options.isAdmin ?? false });
    },
    listApplicationRoles: (id: string) => {
      calls.push(`listApplicationRoles ${id}`);
      const items = (options.appRoles ?? []).map((key) => roles[key]);
      return Promise.resolve({ items, total: items.length });
    },
  };
  return { logto: logto as unknown as LogtoApplicationsApi, calls };
}

const connection = (policy?: ConnectionPolicy): PassConnection => ({
  key: 'ClusterLogtoConnection/shared',
  logto: {} as LogtoApplicationsApi,
  publicEndpoint: 'https://logto.example.com',
  managementApiResource: MANAGEMENT,
  policy,
  applicationId: () => Promise.resolve('op-app'),
});

const resource = (spec: Partial<LogtoApplication['spec']>): LogtoApplication =>
  ({
    metadata: { name: 'm2m', namespace: 'ns', uid: 'u' },
    spec: { type: 'MachineToMachine', ...spec },
  }) as LogtoApplication;

const application = (overrides: Partial<Application> = {}) =>
  ({ id: 'app1', name: 'Legacy', type: 'MachineToMachine', customData: {}, ...overrides }) as Application;

async function denial(promise: Promise<unknown>): Promise<ReconcileStop | undefined> {
  return promise.then(
    () => undefined,
    (e: unknown) => e as ReconcileStop,
  );
}

describe('checkSpec', () => {
  it("refuses a role when the connection's Management API resource cannot be found: nobody can tell", async () => {
    const { logto } = fakeLogto({ managementResource: false });
    const listed = connection({ roles: { allowed: ['orders:read'] } });
    const stop = await denial(checkSpec(resource({ roles: ['orders:read'] }), listed, logto));
    expect(stop?.reason).toBe('PolicyDenied');
    expect(stop?.message).toContain('roles.allowManagementApiRoles');
    expect(stop?.message).toContain(`cannot tell whether role "orders:read" carries Management API scopes`);
    // A connection that allows Management API roles has nothing to tell.
    const open = connection({ roles: { allowManagementApiRoles: true, allowed: ['orders:read'] } });
    await expect(checkSpec(resource({ roles: ['orders:read'] }), open, logto)).resolves.toBeUndefined();
  });

  it('refuses Management API roles by name, by id, and any role carrying a Management API scope, even listed', async () => {
    const listed = connection({ roles: { allowed: ['Logto Management API access', 'sneaky'] } });
    for (const ref of ['Logto Management API access', 'r-admin', 'sneaky']) {
      const stop = await denial(checkSpec(resource({ roles: [ref] }), listed, fakeLogto().logto));
      expect(stop?.reason).toBe('PolicyDenied');
      expect(stop?.message).toContain('roles.allowManagementApiRoles');
      expect(stop?.message).toContain('ClusterLogtoConnection shared');
    }
  });

  it('allows listed roles (a missing one is for the roles aspect to report), and Management API roles only when the connection does', async () => {
    const { logto } = fakeLogto();
    await expect(
      checkSpec(
        resource({ roles: ['orders:read', 'unknown'] }),
        connection({ roles: { allowed: ['orders:read', 'unknown'] } }),
        logto,
      ),
    ).resolves.toBeUndefined();
    await expect(
      checkSpec(
        resource({ roles: ['r-admin'] }),
        connection({ roles: { allowManagementApiRoles: true, allowed: ['r-admin'] } }),
        logto,
      ),
    ).resolves.toBeUndefined();
    const stop = await denial(
      checkSpec(resource({ roles: ['orders:read'] }), connection({ roles: { allowed: ['other'] } }), logto),
    );
    expect(stop?.message).toContain('roles.allowed');
  });

  it('refuses a role made outside the cluster by default, with the same words whether it exists or not', async () => {
    const { logto } = fakeLogto();
    const existing = await denial(checkSpec(resource({ roles: ['orders:read'] }), connection(), logto));
    const missing = await denial(checkSpec(resource({ roles: ['no-such-role'] }), connection(), logto));
    expect(existing?.reason).toBe('PolicyDenied');
    expect(missing?.reason).toBe('PolicyDenied');
    expect(existing?.message.replace('orders:read', 'X')).toBe(missing?.message.replace('no-such-role', 'X'));
    expect(existing?.message).not.toContain('r-read');
  });

  it('checks the declared type and third-party setting', async () => {
    const { logto } = fakeLogto();
    const stop = await denial(
      checkSpec(
        resource({ type: 'Protected' }),
        connection({ applications: { allowedTypes: ['SPA'] } }),
        logto,
      ),
    );
    expect(stop?.message).toContain('applications.allowedTypes');
  });

  it('does nothing for an unrestricted connection', async () => {
    const { logto, calls } = fakeLogto();
    await checkSpec(resource({ roles: ['r-admin'] }), { ...connection(), unrestricted: true }, logto);
    expect(calls).toEqual([]);
  });
});

describe('checkLocated', () => {
  const open = { adoption: { namePatterns: ['*'] } };

  it("refuses the connection's own application before reading anything about it", async () => {
    const { logto, calls } = fakeLogto();
    const stop = await denial(
      checkLocated(
        { decision: 'take-back', as: 'adoption', application: application({ id: 'op-app' }) },
        connection(open),
        logto,
      ),
    );
    expect(stop?.message).toContain('ownApplication');
    expect(calls).toEqual([]);
  });

  it('refuses adoption unless listed, and applications with Management API access found either way', async () => {
    expect(
      (
        await denial(
          checkLocated(
            { decision: 'take-back', as: 'adoption', application: application() },
            connection(),
            fakeLogto().logto,
          ),
        )
      )?.message,
    ).toContain('rule adoption');
    const holder = fakeLogto({ appRoles: ['reader', 'admin'] });
    const stop = await denial(
      checkLocated(
        { decision: 'use', record: true, application: application(), duplicates: [] },
        connection(open),
        holder.logto,
      ),
    );
    expect(stop?.message).toContain('adoption.allowManagementApiApplications');
    expect(stop?.message).toContain('Logto Management API access');
    // A list item does not say isAdmin: it is read by id.
    expect(holder.calls).toContain('getApplication app1');
    const admin = fakeLogto({ isAdmin: true });
    const adminStop = await denial(
      checkLocated(
        { decision: 'take-back', as: 'restore', application: application({ type: 'SPA' }) },
        connection(open),
        admin.logto,
      ),
    );
    expect(adminStop?.message).toContain('isAdmin');
    expect(admin.calls).not.toContain('listApplicationRoles app1');
  });

  it('lets an allowed adoption and the resource’s own marker finds through; recorded ones are not looked at', async () => {
    const { logto, calls } = fakeLogto({ appRoles: ['reader'] });
    await checkLocated(
      { decision: 'take-back', as: 'adoption', application: application() },
      connection(open),
      logto,
    );
    await checkLocated(
      { decision: 'use', record: true, application: application(), duplicates: [] },
      connection(),
      logto,
    );
    const before = calls.length;
    await checkLocated(
      { decision: 'use', record: false, application: application({ id: 'op-app' }), duplicates: [] },
      connection(),
      logto,
    );
    expect(calls.length).toBe(before);
  });
});
