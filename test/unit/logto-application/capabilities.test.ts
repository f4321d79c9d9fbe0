/**
 * The optional capabilities of a LogtoApplication, each converged level-triggered against Logto (the
 * emulator) by the real reconciler and connector, with an in-memory apiserver
 * (test/support/reconcile-harness.ts): created, changed, drift in Logto reverted, removed from the
 * spec, and refused with a reason when it cannot be done. Drift is reverted by a forced pass (the
 * force-sync annotation), as the operator's next periodic pass would. (The published Secret's shape
 * through the apiserver stays in test/integration/capabilities.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MARKER_KEY } from '../../../src/controllers/logto-application/ownership-marker.js';
import type { LogtoApplication } from '../../../src/crd/logto-application.js';
import type { LogtoEmulator } from '../../emulator/index.js';
import { syncedMessage } from '../../support/operator.js';
import { useReconcileHarness, type ReconcileHarness } from '../../support/reconcile-harness.js';

describe('capabilities', () => {
  const env = useReconcileHarness({
    // The roles and scopes below are made outside the cluster (seeded, as in the Console): the
    // connection's policy lists them, as it must for anyone to use them (declared ones: declared-*.test.ts).
    config: {
      flagPolicy: {
        roles: { allowed: ['orders-reader', 'orders-writer', 'human-admin', 'no-such-role'] },
        consentScopes: {
          resources: [{ indicator: 'https://orders.example/api' }],
          organizationScopes: ['read:members', 'invite:members'],
        },
      },
    },
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
  let h: ReconcileHarness, emulator: LogtoEmulator;
  beforeAll(() => {
    h = env.h;
    emulator = h.emulator;
  });

  const app = (resource: LogtoApplication) =>
    emulator.state.applications.get(resource.status!.applicationId!)!;
  const roleId = (name: string) => [...emulator.state.roles.values()].find((r) => r.name === name)!.id;

  describe('API resource roles', () => {
    it('assigns roles by name or id, shows them in status, follows edits, reverts drift and clears on removal', async () => {
      h.create('robot', { type: 'MachineToMachine', roles: ['orders-reader', roleId('orders-writer')] });
      let resource = await h.reconcileReady('robot');
      expect([...app(resource).roleIds].sort()).toEqual(
        [roleId('orders-reader'), roleId('orders-writer')].sort(),
      );
      expect(resource.status!.roles).toEqual(
        expect.arrayContaining([{ id: roleId('orders-reader'), name: 'orders-reader' }]),
      );

      h.patchSpec('robot', { roles: ['orders-writer'] });
      resource = await h.reconcileReady('robot');
      expect([...app(resource).roleIds]).toEqual([roleId('orders-writer')]);

      app(resource).roleIds.add(roleId('orders-reader')); // someone assigns a role in the console
      h.forceSync('robot');
      await h.reconcileReady('robot');
      expect(app(resource).roleIds.size).toBe(1); // role drift reverted

      h.patchSpec('robot', { roles: null });
      resource = await h.reconcileReady('robot');
      expect(app(resource).roleIds.size).toBe(0);
      expect(resource.status!.roles).toBeUndefined();
      // After the reset, roles are unmanaged: a role added in the console stays.
      app(resource).roleIds.add(roleId('orders-reader'));
      h.forceSync('robot');
      await h.reconcileReady('robot');
      expect(app(resource).roleIds.size).toBe(1);
    });

    it('refuses an unknown role and a non machine-to-machine role with a reason naming it', async () => {
      h.create('robot-unknown', { type: 'MachineToMachine', roles: ['no-such-role'] });
      const unknown = await h.reconcileStopped('robot-unknown', 'RoleNotFound');
      expect(syncedMessage(unknown)).toContain('no-such-role');

      h.create('robot-human', { type: 'MachineToMachine', roles: ['human-admin'] });
      const human = await h.reconcileStopped('robot-human', 'InvalidRole');
      expect(syncedMessage(human)).toContain('human-admin');
    });
  });

  describe('user consent (third-party apps)', () => {
    it('converges consent scopes to exactly the declared set, by name', async () => {
      h.create('partner', {
        type: 'Traditional',
        isThirdParty: true,
        userConsentScopes: {
          userScopes: ['profile', 'email'],
          resourceScopes: [{ resource: 'https://orders.example/api', scopes: ['read:orders'] }],
          organizationScopes: ['read:members'],
        },
      });
      const resource = await h.reconcileReady('partner');
      const scopes = () => app(resource).consentScopes;
      expect([...scopes().userScopes].sort()).toEqual(['email', 'profile']);
      expect(scopes().resourceScopes.size).toBe(1);
      expect(scopes().organizationScopes.size).toBe(1);

      h.patchSpec('partner', {
        userConsentScopes: {
          userScopes: ['profile'],
          resourceScopes: [
            { resource: 'https://orders.example/api', scopes: ['read:orders', 'write:orders'] },
          ],
          organizationScopes: [],
        },
      });
      await h.reconcileReady('partner');
      expect([...scopes().userScopes]).toEqual(['profile']);
      expect(scopes().resourceScopes.size).toBe(2);
      expect(scopes().organizationScopes.size).toBe(0);

      scopes().userScopes.add('phone'); // drift
      h.forceSync('partner');
      await h.reconcileReady('partner');
      expect(scopes().userScopes.has('phone')).toBe(false); // consent drift reverted

      h.patchSpec('partner', { userConsentScopes: null });
      await h.reconcileReady('partner');
      expect(scopes().userScopes.size + scopes().resourceScopes.size).toBe(0);
    });

    it('refuses an unknown scope with a reason', async () => {
      h.create('partner-bad', {
        type: 'SPA',
        isThirdParty: true,
        userConsentScopes: {
          resourceScopes: [{ resource: 'https://orders.example/api', scopes: ['delete:everything'] }],
        },
      });
      const resource = await h.reconcileStopped('partner-bad', 'ScopeNotFound');
      expect(syncedMessage(resource)).toContain('delete:everything');
    });

    it("replaces consent organizations per user; a user outside an organization gets Logto's reason", async () => {
      h.create('partner-orgs', {
        type: 'Native',
        isThirdParty: true,
        userConsentOrganizations: [{ userId: 'user-alice', organizationIds: ['org-acme', 'org-globex'] }],
      });
      let resource = await h.reconcileReady('partner-orgs');
      expect([...app(resource).consentOrganizations.get('user-alice')!].sort()).toEqual([
        'org-acme',
        'org-globex',
      ]);

      h.patchSpec('partner-orgs', {
        userConsentOrganizations: [{ userId: 'user-alice', organizationIds: ['org-acme'] }],
      });
      resource = await h.reconcileReady('partner-orgs');
      expect([...app(resource).consentOrganizations.get('user-alice')!]).toEqual(['org-acme']);

      h.patchSpec('partner-orgs', {
        userConsentOrganizations: [{ userId: 'user-bob', organizationIds: ['org-acme'] }],
      });
      const refused = await h.reconcileStopped('partner-orgs', 'LogtoRejected');
      expect(syncedMessage(refused)).toMatch(/HTTP 422/);
    });
  });

  describe('application sign-in experience', () => {
    it('puts it when it differs, resets removed values, and resets it all when removed from the spec', async () => {
      h.create('branded', {
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
      const resource = await h.reconcileReady('branded');
      const sie = () => app(resource).signInExperience!;
      expect(sie()).toMatchObject({ displayName: 'Partner portal', color: { primaryColor: '#112233' } });

      h.patchSpec('branded', {
        signInExperience: { displayName: 'Renamed', termsOfUseUrl: null, branding: null },
      });
      await h.reconcileReady('branded');
      expect(sie()).toMatchObject({ displayName: 'Renamed', termsOfUseUrl: null, branding: {} });

      sie().displayName = 'drifted';
      h.forceSync('branded');
      await h.reconcileReady('branded');
      expect(sie().displayName).toBe('Renamed'); // sign-in experience drift reverted

      h.patchSpec('branded', { signInExperience: null });
      await h.reconcileReady('branded');
      expect(sie()).toMatchObject({ displayName: null, privacyPolicyUrl: null, color: {}, branding: {} });
    });
  });

  describe('custom data ownership', () => {
    it('converges declared keys and keeps keys written by others', async () => {
      h.create('data', { type: 'SPA', customData: { tier: 'gold', region: 'eu' } });
      let resource = await h.reconcileReady('data');
      app(resource).customData.addedInConsole = true; // someone else's key
      app(resource).customData.tier = 'silver'; // drift of a declared key
      h.forceSync('data');
      await h.reconcileReady('data');
      expect(app(resource).customData.tier).toBe('gold'); // declared key restored
      expect(app(resource).customData.addedInConsole).toBe(true);

      h.patchSpec('data', { customData: { region: null } }); // merge patch: drops region
      resource = await h.reconcileReady('data');
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
      h.create('half-way', { type: 'MachineToMachine' });
      let resource = await h.reconcileReady('half-way');
      // customData is written, then the unknown role stops the pass.
      h.patchSpec('half-way', { customData: { experiment: 'on' }, roles: ['no-such-role'] });
      resource = await h.reconcileStopped('half-way', 'RoleNotFound');
      expect(app(resource).customData.experiment).toBe('on');
      expect(resource.status!.managedCustomDataKeys).toEqual(['experiment']);

      h.patchSpec('half-way', { customData: null, roles: null });
      resource = await h.reconcileReady('half-way');
      expect(app(resource).customData).not.toHaveProperty('experiment');
      expect(resource.status!.managedCustomDataKeys).toBeUndefined();
    });
  });

  describe('access control and organizations', () => {
    it('enables app-level access control with the declared rules, and disables it when removed', async () => {
      h.create('guarded', {
        type: 'Traditional',
        accessControl: { userIds: ['user-alice'], organizationIds: ['org-acme'] },
      });
      let resource = await h.reconcileReady('guarded');
      expect(app(resource).appLevelAccessControlEnabled).toBe(true);
      expect(app(resource).accessControl).toMatchObject({
        userIds: ['user-alice'],
        organizationIds: ['org-acme'],
      });

      h.patchSpec('guarded', { accessControl: null });
      resource = await h.reconcileReady('guarded');
      expect(app(resource).appLevelAccessControlEnabled).toBe(false);
    });

    it("reports access control naming unknown ids or a MachineToMachine user role with Logto's code, and keeps the application", async () => {
      h.create('unknown-guard', {
        type: 'Traditional',
        accessControl: { userIds: ['user-alice', 'user-nobody'] },
      });
      let resource = await h.reconcileStopped('unknown-guard', 'LogtoNotFound');
      const applicationId = resource.status!.applicationId!;
      const applications = emulator.state.applications.size;
      expect(syncedMessage(resource)).toContain('entity.relation_foreign_key_not_found');
      expect(syncedMessage(resource)).toContain(
        'spec.accessControl.userIds names ids that do not exist in Logto: user-nobody',
      );
      expect(app(resource).accessControl).toBeNull();

      h.patchSpec('unknown-guard', {
        accessControl: { userIds: ['user-alice'], userRoleIds: [roleId('orders-reader')] },
      });
      resource = await h.reconcileStopped('unknown-guard', 'LogtoRejected');
      expect(syncedMessage(resource)).toContain('entity.db_constraint_violated');
      expect(syncedMessage(resource)).toContain(
        `spec.accessControl.userRoleIds names MachineToMachine roles, not User roles: ${roleId('orders-reader')}`,
      );

      h.patchSpec('unknown-guard', {
        accessControl: { userIds: ['user-alice'], userRoleIds: [roleId('human-admin')] },
      });
      resource = await h.reconcileReady('unknown-guard');
      // The same application all along: a 404 about the rules never meant the application was gone.
      expect(resource.status!.applicationId).toBe(applicationId);
      expect(emulator.state.applications.size).toBe(applications);
      expect(app(resource).accessControl).toMatchObject({
        userIds: ['user-alice'],
        userRoleIds: [roleId('human-admin')],
      });
    });

    it('reports the organizations a machine-to-machine app belongs to', async () => {
      h.create('org-robot', { type: 'MachineToMachine' });
      const resource = await h.reconcileReady('org-robot');
      emulator.seed.addApplicationToOrganization('org-acme', resource.status!.applicationId!);
      h.forceSync('org-robot');
      const updated = await h.reconcileReady('org-robot');
      expect(updated.status!.organizations).toEqual([{ id: 'org-acme', name: 'Acme' }]);
    });
  });

  describe('the Secret', () => {
    it('refuses a template that names an unknown value', async () => {
      h.create('bad-template', { type: 'SPA', secret: { templates: { X: '{{ clientSecret }}' } } });
      const resource = await h.reconcileStopped('bad-template', 'InvalidSpec');
      expect(syncedMessage(resource)).toContain('unknown value clientSecret');
    });
  });
});
