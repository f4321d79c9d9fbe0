/**
 * The pure plans of a pass, each from one observation and without I/O: the application's own fields
 * and every aspect's writes and reported status.
 */
import { describe, expect, it } from 'vitest';
import type {
  AccessControl,
  Application,
  ApplicationSignInExperience,
  CustomDomain,
} from '../../../src/api/schemas.js';
import { planApplication } from '../../../src/controllers/logto-application/application-plan.js';
import {
  createApplicationBody,
  desiredApplication,
} from '../../../src/controllers/logto-application/desired-application.js';
import { accessControl } from '../../../src/controllers/logto-application/aspects/access-control.js';
import { consentOrganizations } from '../../../src/controllers/logto-application/aspects/consent-organizations.js';
import { customDomains } from '../../../src/controllers/logto-application/aspects/custom-domains.js';
import { organizations } from '../../../src/controllers/logto-application/aspects/organizations.js';
import { roles } from '../../../src/controllers/logto-application/aspects/roles.js';
import {
  signInExperience,
  signInExperienceBody,
} from '../../../src/controllers/logto-application/aspects/sign-in-experience.js';
import { resource } from './fixtures.js';

/** The application Logto would hold after creating `spec`'s resource. */
function created(spec: Parameters<typeof resource>[0] = {}): Application {
  const body = createApplicationBody(desiredApplication(resource(spec)));
  return {
    id: 'app1',
    secret: '',
    createdAt: 0,
    description: null,
    oidcClientMetadata: { redirectUris: [], postLogoutRedirectUris: [] },
    ...body,
    customClientMetadata: { ...body.customClientMetadata, tenantId: 'default' },
  } as unknown as Application;
}

describe('planApplication', () => {
  it('has nothing to patch on the application it just created', () => {
    const spec = { oidcClientMetadata: { redirectUris: ['https://a.test/cb'] } };
    expect(planApplication(resource(spec), created(spec), false)).toEqual({ patch: {} });
  });

  it('patches only the fields that differ, each complete', () => {
    const observed = created({ oidcClientMetadata: { redirectUris: ['https://a.test/cb'] } });
    const plan = planApplication(
      resource({ name: 'Portal', oidcClientMetadata: { redirectUris: ['https://a.test/cb'] } }),
      observed,
      false,
    );
    expect(plan).toEqual({ patch: { name: 'Portal' } });
  });

  it('refuses what Logto cannot change: a conflict for its own application, a refusal when adopting', () => {
    const observed = created({ type: 'SPA' });
    const own = planApplication(resource({ type: 'Traditional' }), observed, false);
    expect(own).toMatchObject({ refusal: { reason: 'ImmutableFieldConflict' } });
    const adopted = planApplication(resource({ type: 'Traditional' }), observed, true);
    expect(adopted).toMatchObject({
      refusal: { reason: 'AdoptionRefused', message: expect.stringContaining('cannot adopt') },
    });
  });
});

describe('aspect plans', () => {
  const role = (id: string) => ({ id, name: `role ${id}` });

  it('roles: converges to the declared set and reports it; a reset removes all and reports nothing', () => {
    expect(roles.plan({ desired: [role('a'), role('b')], current: ['b', 'c'] }, true)).toEqual({
      add: ['a'],
      remove: ['c'],
      status: { roles: [role('a'), role('b')] },
    });
    expect(roles.plan({ desired: [], current: ['b'] }, false)).toEqual({ remove: ['b'] });
  });

  it('consent organizations: replaces only the users whose grants differ', () => {
    const plan = consentOrganizations.plan(
      {
        users: [
          { desired: { userId: 'u1', organizationIds: ['o1', 'o2'] }, current: ['o2', 'o1'] },
          { desired: { userId: 'u2', organizationIds: ['o1'] }, current: [] },
          { desired: { userId: 'gone', organizationIds: [] }, current: ['o3'] },
        ],
        declaredUsers: ['u1', 'u2'],
      },
      true,
    );
    expect(plan).toEqual({
      replace: [
        { userId: 'u2', organizationIds: ['o1'] },
        { userId: 'gone', organizationIds: [] },
      ],
      status: { consentOrganizationUsers: ['u1', 'u2'] },
    });
    const reset = consentOrganizations.plan({ users: [] }, false);
    expect(reset).toEqual({ replace: [], status: { consentOrganizationUsers: undefined } });
  });

  it('sign-in experience: blank and null texts are the same; a reset of none puts nothing', () => {
    const desired = signInExperienceBody({ displayName: 'Portal' });
    const current: ApplicationSignInExperience = {
      tenantId: 'default',
      applicationId: 'app1',
      color: {},
      branding: {},
      customCss: '',
      displayName: 'Portal',
      termsOfUseUrl: null,
      privacyPolicyUrl: null,
    };
    expect(signInExperience.plan({ current, desired }, true)).toEqual({});
    expect(signInExperience.plan({ desired }, true)).toEqual({ put: desired });
    expect(signInExperience.plan({ desired: signInExperienceBody(undefined) }, false)).toEqual({});
    const changed = signInExperienceBody({ displayName: 'Other' });
    expect(signInExperience.plan({ current, desired: changed }, true)).toEqual({ put: changed });
  });

  it('access control: puts differing rules and turns the flag on; a reset only turns it off', () => {
    const rules = (userIds: string[]): AccessControl => ({
      userIds,
      userRoleIds: [],
      organizationIds: [],
      organizationRoleRules: [],
    });
    expect(
      accessControl.plan(
        { enabled: true, rules: { current: rules(['a', 'b']), desired: rules(['b', 'a']) } },
        true,
      ),
    ).toEqual({});
    expect(
      accessControl.plan({ enabled: false, rules: { current: rules([]), desired: rules(['a']) } }, true),
    ).toEqual({ replaceRules: rules(['a']), setEnabled: true });
    expect(accessControl.plan({ enabled: true }, false)).toEqual({ setEnabled: false });
    expect(accessControl.plan({ enabled: false }, false)).toEqual({});
  });

  it('custom domains: removes before it adds, so that a replacement fits the one-domain limit', () => {
    const domain = (name: string) =>
      ({ domain: name, status: 'Active', dnsRecords: [] }) as unknown as CustomDomain;
    const current = [domain('old.example.com'), domain('kept.example.com')];
    expect(customDomains.plan({ current, wanted: ['kept.example.com', 'new.example.com'] }, true)).toEqual({
      remove: ['old.example.com'],
      add: ['new.example.com'],
      unchanged: current,
    });
    expect(customDomains.plan({ current, wanted: [] }, false)).toMatchObject({
      remove: ['old.example.com', 'kept.example.com'],
      add: [],
    });
  });

  it('organizations: reported as found, absent when there are none', () => {
    expect(organizations.plan([{ id: 'o1', name: 'One' }], true)).toEqual({
      organizations: [{ id: 'o1', name: 'One' }],
    });
    expect(organizations.plan([], true)).toEqual({ organizations: undefined });
  });

  it('organizations: not read for an application created in this pass (it is in none yet)', async () => {
    const context = { created: true, logto: {} } as unknown as Parameters<typeof organizations.observe>[0];
    await expect(organizations.observe(context, true)).resolves.toEqual([]);
  });
});
