/**
 * The optional capabilities of a LogtoApplication, each converged level-triggered: created, changed,
 * drift in Logto reverted, removed from the spec, and refused with a reason when it cannot be done.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MARKER_KEY } from '../../src/controllers/logto-application/ownership-marker.js';
import type { LogtoApplication } from '../../src/crd/logto-application.js';
import type { LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import { apiStatus } from '../support/kube.js';
import {
  decodeSecret,
  operatorEnvironment,
  syncedMessage,
  syncNow,
  type TestCluster,
} from '../support/operator.js';

describe('capabilities', () => {
  const env = operatorEnvironment('capabilities', {
    emulator: {
      seed: {
        resources: [
          {
            name: 'Orders API',
            indicator: 'https://orders.example/api',
            scopes: ['read:orders', 'write:orders'],
          },
        ],
        roles: [
          {
            name: 'orders-reader',
            type: 'MachineToMachine',
            scopes: [{ indicator: 'https://orders.example/api', name: 'read:orders' }],
          },
          { name: 'orders-writer', type: 'MachineToMachine' },
          { name: 'human-admin', type: 'User' },
        ],
        organizationScopes: [{ name: 'read:members' }, { name: 'invite:members' }],
        users: [{ id: 'user-alice' }, { id: 'user-bob' }],
        organizations: [
          { id: 'org-acme', name: 'Acme', members: ['user-alice'] },
          { id: 'org-globex', name: 'Globex', members: ['user-alice'] },
        ],
      },
    },
  });
  let emulator: LogtoEmulator, cluster: TestCluster, ns: string;
  beforeAll(() => void ({ emulator, cluster, ns } = env));

  const app = (resource: LogtoApplication) =>
    emulator.state.applications.get(resource.status!.applicationId!)!;
  const roleId = (name: string) => [...emulator.state.roles.values()].find((r) => r.name === name)!.id;
  /** Makes the operator look at the resource now, and waits for that pass. */
  const forceSync = (name: string) => syncNow(env, ns, name);

  describe('API resource roles', () => {
    it('assigns roles by name or id, shows them in status, follows edits, reverts drift and clears on removal', async () => {
      await cluster.create(ns, 'robot', {
        type: 'MachineToMachine',
        roles: ['orders-reader', roleId('orders-writer')],
      });
      let resource = await cluster.waitReady(ns, 'robot');
      expect([...app(resource).roleIds].sort()).toEqual(
        [roleId('orders-reader'), roleId('orders-writer')].sort(),
      );
      expect(resource.status!.roles).toEqual(
        expect.arrayContaining([{ id: roleId('orders-reader'), name: 'orders-reader' }]),
      );

      await cluster.patch(ns, 'robot', { spec: { roles: ['orders-writer'] } });
      resource = await cluster.waitReady(ns, 'robot');
      expect([...app(resource).roleIds]).toEqual([roleId('orders-writer')]);

      app(resource).roleIds.add(roleId('orders-reader')); // someone assigns a role in the console
      await forceSync('robot');
      await eventually(() => app(resource).roleIds.size === 1, { what: 'role drift reverted' });

      await cluster.patch(ns, 'robot', { spec: { roles: null } });
      resource = await cluster.waitReady(ns, 'robot');
      expect(app(resource).roleIds.size).toBe(0);
      expect(resource.status!.roles).toBeUndefined();
      // After the reset, roles are unmanaged: a role added in the console stays.
      app(resource).roleIds.add(roleId('orders-reader'));
      await forceSync('robot');
      await cluster.waitReady(ns, 'robot');
      expect(app(resource).roleIds.size).toBe(1);
    });

    it('refuses an unknown role and a non machine-to-machine role with a reason naming it', async () => {
      await cluster.create(ns, 'robot-unknown', { type: 'MachineToMachine', roles: ['no-such-role'] });
      const unknown = await cluster.waitReady(ns, 'robot-unknown', 'False', 'RoleNotFound');
      expect(syncedMessage(unknown)).toContain('no-such-role');

      await cluster.create(ns, 'robot-human', { type: 'MachineToMachine', roles: ['human-admin'] });
      const human = await cluster.waitReady(ns, 'robot-human', 'False', 'InvalidRole');
      expect(syncedMessage(human)).toContain('human-admin');
    });

    it('refuses roles on other application types at admission', async () => {
      const error = await cluster
        .create(ns, 'spa-roles', { type: 'SPA', roles: ['orders-reader'] })
        .catch(apiStatus);
      expect(error).toMatchObject({ code: 422 });
      expect(JSON.stringify(error)).toContain('roles are only allowed for MachineToMachine');
    });
  });

  describe('user consent (third-party apps)', () => {
    it('converges consent scopes to exactly the declared set, by name', async () => {
      await cluster.create(ns, 'partner', {
        type: 'Traditional',
        isThirdParty: true,
        userConsentScopes: {
          userScopes: ['profile', 'email'],
          resourceScopes: [{ resource: 'https://orders.example/api', scopes: ['read:orders'] }],
          organizationScopes: ['read:members'],
        },
      });
      let resource = await cluster.waitReady(ns, 'partner');
      const scopes = () => app(resource).consentScopes;
      expect([...scopes().userScopes].sort()).toEqual(['email', 'profile']);
      expect(scopes().resourceScopes.size).toBe(1);
      expect(scopes().organizationScopes.size).toBe(1);

      await cluster.patch(ns, 'partner', {
        spec: {
          userConsentScopes: {
            userScopes: ['profile'],
            resourceScopes: [
              { resource: 'https://orders.example/api', scopes: ['read:orders', 'write:orders'] },
            ],
            organizationScopes: [],
          },
        },
      });
      resource = await cluster.waitReady(ns, 'partner');
      expect([...scopes().userScopes]).toEqual(['profile']);
      expect(scopes().resourceScopes.size).toBe(2);
      expect(scopes().organizationScopes.size).toBe(0);

      scopes().userScopes.add('phone'); // drift
      await forceSync('partner');
      await eventually(() => !scopes().userScopes.has('phone'), { what: 'consent drift reverted' });

      await cluster.patch(ns, 'partner', { spec: { userConsentScopes: null } });
      resource = await cluster.waitReady(ns, 'partner');
      expect(scopes().userScopes.size + scopes().resourceScopes.size).toBe(0);
    });

    it('refuses an unknown scope with a reason', async () => {
      await cluster.create(ns, 'partner-bad', {
        type: 'SPA',
        isThirdParty: true,
        userConsentScopes: {
          resourceScopes: [{ resource: 'https://orders.example/api', scopes: ['delete:everything'] }],
        },
      });
      const resource = await cluster.waitReady(ns, 'partner-bad', 'False', 'ScopeNotFound');
      expect(syncedMessage(resource)).toContain('delete:everything');
    });

    it("replaces consent organizations per user; a user outside an organization gets Logto's reason", async () => {
      await cluster.create(ns, 'partner-orgs', {
        type: 'Native',
        isThirdParty: true,
        userConsentOrganizations: [{ userId: 'user-alice', organizationIds: ['org-acme', 'org-globex'] }],
      });
      let resource = await cluster.waitReady(ns, 'partner-orgs');
      expect([...app(resource).consentOrganizations.get('user-alice')!].sort()).toEqual([
        'org-acme',
        'org-globex',
      ]);

      await cluster.patch(ns, 'partner-orgs', {
        spec: { userConsentOrganizations: [{ userId: 'user-alice', organizationIds: ['org-acme'] }] },
      });
      resource = await cluster.waitReady(ns, 'partner-orgs');
      expect([...app(resource).consentOrganizations.get('user-alice')!]).toEqual(['org-acme']);

      await cluster.patch(ns, 'partner-orgs', {
        spec: { userConsentOrganizations: [{ userId: 'user-bob', organizationIds: ['org-acme'] }] },
      });
      const refused = await cluster.waitReady(ns, 'partner-orgs', 'False', 'LogtoRejected');
      expect(syncedMessage(refused)).toMatch(/HTTP 422/);
    });

    it('refuses consent on first-party apps at admission', async () => {
      const error = await cluster
        .create(ns, 'first-party', { type: 'SPA', userConsentScopes: { userScopes: ['profile'] } })
        .catch(apiStatus);
      expect(JSON.stringify(error)).toContain('only allowed for third-party applications');
    });
  });

  describe('application sign-in experience', () => {
    it('puts it when it differs, resets removed values, and resets it all when removed from the spec', async () => {
      await cluster.create(ns, 'branded', {
        type: 'Traditional',
        isThirdParty: true,
        signInExperience: {
          displayName: 'Partner portal',
          termsOfUseUrl: 'https://partner.example/terms',
          privacyPolicyUrl: 'https://partner.example/privacy',
          color: { primaryColor: '#112233' },
          branding: { logoUrl: 'https://partner.example/logo.png' },
        },
      });
      let resource = await cluster.waitReady(ns, 'branded');
      const sie = () => app(resource).signInExperience!;
      expect(sie()).toMatchObject({ displayName: 'Partner portal', color: { primaryColor: '#112233' } });

      await cluster.patch(ns, 'branded', {
        spec: { signInExperience: { displayName: 'Renamed', termsOfUseUrl: null, branding: null } },
      });
      resource = await cluster.waitReady(ns, 'branded');
      expect(sie()).toMatchObject({ displayName: 'Renamed', termsOfUseUrl: null, branding: {} });

      sie().displayName = 'drifted';
      await forceSync('branded');
      await eventually(() => sie().displayName === 'Renamed', { what: 'sign-in experience drift reverted' });

      await cluster.patch(ns, 'branded', { spec: { signInExperience: null } });
      resource = await cluster.waitReady(ns, 'branded');
      expect(sie()).toMatchObject({ displayName: null, privacyPolicyUrl: null, color: {}, branding: {} });
    });
  });

  describe('custom data ownership', () => {
    it('converges declared keys and keeps keys written by others', async () => {
      await cluster.create(ns, 'data', { type: 'SPA', customData: { tier: 'gold', region: 'eu' } });
      let resource = await cluster.waitReady(ns, 'data');
      app(resource).customData.addedInConsole = true; // someone else's key
      app(resource).customData.tier = 'silver'; // drift of a declared key
      await forceSync('data');
      await eventually(() => app(resource).customData.tier === 'gold', { what: 'declared key restored' });
      expect(app(resource).customData.addedInConsole).toBe(true);

      await cluster.patch(ns, 'data', { spec: { customData: { region: null } } }); // merge patch: drops region
      resource = await cluster.waitReady(ns, 'data');
      expect(app(resource).customData).toEqual({
        tier: 'gold',
        addedInConsole: true,
        [MARKER_KEY]: expect.objectContaining({ name: 'data' }),
      });
      expect(resource.status!.managedCustomDataKeys).toEqual(['tier']);
    });
  });

  describe('a pass that fails half-way', () => {
    it('records what it was about to manage first, so rolling the spec back undoes it', async () => {
      await cluster.create(ns, 'half-way', { type: 'MachineToMachine' });
      let resource = await cluster.waitReady(ns, 'half-way');
      // customData is written, then the unknown role stops the pass.
      await cluster.patch(ns, 'half-way', {
        spec: { customData: { experiment: 'on' }, roles: ['no-such-role'] },
      });
      resource = await cluster.waitReady(ns, 'half-way', 'False', 'RoleNotFound');
      expect(app(resource).customData.experiment).toBe('on');
      expect(resource.status!.managedCustomDataKeys).toEqual(['experiment']);

      await cluster.patch(ns, 'half-way', { spec: { customData: null, roles: null } });
      resource = await cluster.waitReady(ns, 'half-way');
      expect(app(resource).customData).not.toHaveProperty('experiment');
      expect(resource.status!.managedCustomDataKeys).toBeUndefined();
    });
  });

  describe('access control and organizations', () => {
    it('enables app-level access control with the declared rules, and disables it when removed', async () => {
      await cluster.create(ns, 'guarded', {
        type: 'Traditional',
        accessControl: { userIds: ['user-alice'], organizationIds: ['org-acme'] },
      });
      let resource = await cluster.waitReady(ns, 'guarded');
      expect(app(resource).appLevelAccessControlEnabled).toBe(true);
      expect(app(resource).accessControl).toMatchObject({
        userIds: ['user-alice'],
        organizationIds: ['org-acme'],
      });

      await cluster.patch(ns, 'guarded', { spec: { accessControl: null } });
      resource = await cluster.waitReady(ns, 'guarded');
      expect(app(resource).appLevelAccessControlEnabled).toBe(false);
    });

    it("reports access control naming unknown ids or a MachineToMachine user role with Logto's code, and keeps the application", async () => {
      await cluster.create(ns, 'unknown-guard', {
        type: 'Traditional',
        accessControl: { userIds: ['user-alice', 'user-nobody'] },
      });
      let resource = await cluster.waitReady(ns, 'unknown-guard', 'False', 'LogtoNotFound');
      const applicationId = resource.status!.applicationId!;
      const applications = emulator.state.applications.size;
      expect(syncedMessage(resource)).toContain('entity.relation_foreign_key_not_found');
      expect(syncedMessage(resource)).toContain(
        'spec.accessControl.userIds names ids that do not exist in Logto: user-nobody',
      );
      expect(app(resource).accessControl).toBeNull();

      await cluster.patch(ns, 'unknown-guard', {
        spec: { accessControl: { userIds: ['user-alice'], userRoleIds: [roleId('orders-reader')] } },
      });
      resource = await cluster.waitReady(ns, 'unknown-guard', 'False', 'LogtoRejected');
      expect(syncedMessage(resource)).toContain('entity.db_constraint_violated');
      expect(syncedMessage(resource)).toContain(
        `spec.accessControl.userRoleIds names MachineToMachine roles, not User roles: ${roleId('orders-reader')}`,
      );

      await cluster.patch(ns, 'unknown-guard', {
        spec: { accessControl: { userIds: ['user-alice'], userRoleIds: [roleId('human-admin')] } },
      });
      resource = await cluster.waitReady(ns, 'unknown-guard');
      // The same application all along: a 404 about the rules never meant the application was gone.
      expect(resource.status!.applicationId).toBe(applicationId);
      expect(emulator.state.applications.size).toBe(applications);
      expect(app(resource).accessControl).toMatchObject({
        userIds: ['user-alice'],
        userRoleIds: [roleId('human-admin')],
      });
    });

    it('reports the organizations a machine-to-machine app belongs to', async () => {
      await cluster.create(ns, 'org-robot', { type: 'MachineToMachine' });
      const resource = await cluster.waitReady(ns, 'org-robot');
      emulator.seed.addApplicationToOrganization('org-acme', resource.status!.applicationId!);
      await forceSync('org-robot');
      const updated = await eventually(
        async () => {
          const r = await cluster.get(ns, 'org-robot');
          return r?.status?.organizations?.length ? r : undefined;
        },
        { what: 'organizations in status' },
      );
      expect(updated.status!.organizations).toEqual([{ id: 'org-acme', name: 'Acme' }]);
    });
  });

  describe('the Secret shape', () => {
    it('renames keys, renders templates, sets labels and annotations', async () => {
      await cluster.create(ns, 'shaped', {
        type: 'Traditional',
        isThirdParty: true,
        userConsentScopes: {
          resourceScopes: [{ resource: 'https://orders.example/api', scopes: ['read:orders'] }],
        },
        secret: {
          name: 'shaped-oidc',
          keys: { appId: 'OIDC_CLIENT_ID', appSecret: 'OIDC_CLIENT_SECRET' },
          templates: {
            OIDC_ISSUER: '{{ issuer }}',
            OIDC_TOKEN_URL: '{{tokenEndpoint}}',
            API_AUDIENCES: '{{ resourceIndicators }}',
          },
          labels: { team: 'partners' },
          annotations: { 'reloader.example/match': 'true' },
        },
      });
      const resource = await cluster.waitReady(ns, 'shaped');
      const secret = await cluster.secret(ns, 'shaped-oidc');
      expect(decodeSecret(secret)).toEqual({
        LOGTO_ENDPOINT: emulator.endpoint,
        OIDC_CLIENT_ID: resource.status!.applicationId,
        OIDC_CLIENT_SECRET: expect.any(String),
        OIDC_ISSUER: `${emulator.endpoint}/oidc`,
        OIDC_TOKEN_URL: `${emulator.endpoint}/oidc/token`,
        API_AUDIENCES: 'https://orders.example/api',
      });
      expect(secret!.metadata!.labels).toMatchObject({ team: 'partners' });
      expect(secret!.metadata!.annotations).toMatchObject({ 'reloader.example/match': 'true' });

      // Dropping a template removes its key.
      await cluster.patch(ns, 'shaped', {
        spec: { secret: { templates: { API_AUDIENCES: null, OIDC_TOKEN_URL: null } } },
      });
      await eventually(
        async () => !('OIDC_TOKEN_URL' in decodeSecret(await cluster.secret(ns, 'shaped-oidc'))),
        {
          what: 'template key removed',
        },
      );
    });

    it('refuses a template that names an unknown value', async () => {
      await cluster.create(ns, 'bad-template', {
        type: 'SPA',
        secret: { templates: { X: '{{ clientSecret }}' } },
      });
      const resource = await cluster.waitReady(ns, 'bad-template', 'False', 'InvalidSpec');
      expect(syncedMessage(resource)).toContain('unknown value clientSecret');
    });
  });
});
