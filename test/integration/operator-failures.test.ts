/**
 * The operator's refusal and failure paths end to end, against the real apiserver and the emulator:
 * admission rules (the apiserver's own validation, no operator), a foreign Secret reported as
 * conditions and an Event, adoption, a Logto outage with the work queue's backoff, and a finalizer
 * removal racing another controller. What a pass does on the Logto side for the other failures is
 * tested against the emulator without a control plane: test/unit/logto-application/failures.test.ts
 * and adoption.test.ts (through test/support/reconcile-harness.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { LogtoApplicationSpec } from '../../src/crd/logto-application.js';
import type { LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import { apiStatus, createTestNamespace, testKubeConfig } from '../support/kube.js';
import {
  decodeSecret,
  operatorEnvironment,
  syncedMessage,
  syncNow,
  TestCluster,
  type TestOperator,
} from '../support/operator.js';

describe('admission: the apiserver refuses invalid specs', () => {
  let cluster: TestCluster;
  let ns: string;

  beforeAll(async () => {
    const kc = testKubeConfig();
    cluster = new TestCluster(kc);
    ns = await createTestNamespace(kc, 'admission');
  });

  const refusal = async (spec: Record<string, unknown>, name = 'bad'): Promise<string> => {
    try {
      await cluster.create(ns, name, spec as LogtoApplicationSpec);
    } catch (error) {
      const status = apiStatus(error);
      expect(status?.code).toBe(422);
      return status?.message ?? '';
    }
    throw new Error(`accepted: ${JSON.stringify(spec)}`);
  };

  it.each([
    [{ type: 'SAML' }, 'type'],
    [{}, 'spec.type: Required value'],
    [{ type: 'MachineToMachine', isThirdParty: true }, 'isThirdParty is only allowed'],
    [
      { type: 'SPA', customClientMetadata: { isDeviceFlow: true } },
      'isDeviceFlow is only allowed for Native',
    ],
    [
      { type: 'SPA', isThirdParty: true, customClientMetadata: { allowTokenExchange: true } },
      'allowTokenExchange',
    ],
    [
      { type: 'SPA', oidcClientMetadata: { redirectUris: ['io.example://cb'] } },
      'custom schemes are only allowed',
    ],
    [{ type: 'SPA', oidcClientMetadata: { backchannelLogoutUri: 'nope' } }, 'backchannelLogoutUri'],
    [{ type: 'SPA', name: 'x'.repeat(257) }, 'spec.name'],
    [{ type: 'SPA', secret: { name: 'Not_A_Name' } }, 'spec.secret.name'],
    [{ type: 'SPA', deletionPolicy: 'Keep' }, 'deletionPolicy'],
    [{ type: 'SPA', customClientMetadata: { refreshTokenTtlInDays: 731 } }, 'refreshTokenTtlInDays'],
    [{ type: 'Traditional', rotation: { every: '99999999999999999h' } }, 'spec.rotation.every'],
    [{ type: 'Traditional', secrets: [{ name: 'logto-operator-ci' }] }, 'reserved for the operator'],
    // The apiserver's type check alone lets an array through here (then no server-side apply of the
    // object works); the CRD's CEL rule refuses it. The same for a number or text that is no time.
    [
      { type: 'Traditional', secrets: [{ name: 'a' }, { name: 'b', expiresAt: ['x'] }] },
      'spec.secrets[1].expiresAt',
    ],
    [{ type: 'Traditional', secrets: [{ name: 'a', expiresAt: 5 }] }, 'spec.secrets[0].expiresAt'],
    [{ type: 'Traditional', secrets: [{ name: 'a', expiresAt: 'soon' }] }, 'spec.secrets[0].expiresAt'],
    [{ type: 'Traditional', rotation: { gracePeriod: '1h1h1h1h1h' } }, 'spec.rotation.gracePeriod'],
    // Listed by Logto's document, refused by the server (BEHAVIOUR.md, "User consent").
    [
      {
        type: 'Traditional',
        isThirdParty: true,
        userConsentScopes: { userScopes: ['urn:logto:scope:trusted_devices'] },
      },
      'spec.userConsentScopes.userScopes[0]: Unsupported value: "urn:logto:scope:trusted_devices"',
    ],
    [{ type: 'SPA', roles: ['orders-reader'] }, 'roles are only allowed for MachineToMachine'],
    [
      { type: 'SPA', userConsentScopes: { userScopes: ['profile'] } },
      'only allowed for third-party applications',
    ],
  ])('refuses %j', async (spec, expected) => {
    expect(await refusal(spec)).toContain(expected);
  });

  it('accepts custom schemes for Native apps', async () => {
    await cluster.create(ns, 'native', {
      type: 'Native',
      oidcClientMetadata: { redirectUris: ['io.example.app://callback'] },
    });
  });

  it.each([
    [{ spec: { type: 'SPA' } }, 'type is immutable'],
    [{ spec: { isThirdParty: true } }, 'isThirdParty is immutable'],
    [{ spec: { adoptApplicationId: 'abc' } }, 'adoptApplicationId cannot be added'],
  ])('refuses the update %j', async (patch, expected) => {
    const name = `immutable-${Math.random().toString(36).slice(2, 8)}`;
    await cluster.create(ns, name, { type: 'Traditional' });
    const error = await cluster.patch(ns, name, patch).then(
      () => undefined,
      (e: unknown) => apiStatus(e),
    );
    expect(error?.code).toBe(422);
    expect(error?.message).toContain(expected);
  });

  it('refuses turning on device flow after creation', async () => {
    await cluster.create(ns, 'device', { type: 'Native' });
    const error = await cluster
      .patch(ns, 'device', { spec: { customClientMetadata: { isDeviceFlow: true } } })
      .then(
        () => undefined,
        (e: unknown) => apiStatus(e),
      );
    expect(error?.message).toContain('isDeviceFlow is immutable');
  });
});

describe('failures the controller reports', () => {
  const env = operatorEnvironment('failures', {
    // Adoption is off by default; these tests adopt applications made in the "Console".
    config: { flagPolicy: { adoption: { namePatterns: ['*'] } } },
  });
  let emulator: LogtoEmulator, operator: TestOperator, cluster: TestCluster, ns: string;
  beforeAll(() => void ({ emulator, operator, cluster, ns } = env));

  const applicationCount = () => emulator.state.applications.size;

  it('leaves a Secret it does not own untouched: SecretConflict', async () => {
    await cluster.core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'taken' }, stringData: { LOGTO_APP_ID: 'someone-else' } },
    });
    const apps = applicationCount();
    await cluster.create(ns, 'conflict', { type: 'Traditional', secret: { name: 'taken' } });
    const resource = await cluster.waitReady(ns, 'conflict', 'False', 'SecretConflict');
    expect(syncedMessage(resource)).toContain('taken');
    expect(resource.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'SecretConflict',
    });
    // And as a Warning Event on the resource, written through the apiserver.
    const event = await eventually(
      async () =>
        (await cluster.core.listNamespacedEvent({ namespace: ns })).items.find(
          (e) => e.involvedObject.name === 'conflict' && e.reason === 'SecretConflict',
        ),
      { what: 'the SecretConflict Event' },
    );
    expect(event).toMatchObject({ type: 'Warning', involvedObject: { kind: 'LogtoApplication' } });
    expect(event.message).toContain('taken');
    expect(decodeSecret(await cluster.secret(ns, 'taken'))).toEqual({ LOGTO_APP_ID: 'someone-else' });
    expect(applicationCount()).toBe(apps);

    // Renaming the target resolves it.
    await cluster.patch(ns, 'conflict', { spec: { secret: { name: 'conflict-creds' } } });
    await cluster.waitReady(ns, 'conflict');
    expect(decodeSecret(await cluster.secret(ns, 'taken'))).toEqual({ LOGTO_APP_ID: 'someone-else' });
    expect(Object.keys(decodeSecret(await cluster.secret(ns, 'conflict-creds')))).toContain(
      'LOGTO_APP_SECRET',
    );
  });

  it('adopts an existing application by id, and refuses one owned by another resource', async () => {
    const existing = emulator.seed.application({ name: 'legacy portal', type: 'Traditional' });
    await cluster.create(ns, 'adopter', {
      type: 'Traditional',
      name: 'Portal',
      adoptApplicationId: existing.id,
    });
    const adopted = await cluster.waitReady(ns, 'adopter');
    expect(adopted.status!.applicationId).toBe(existing.id);
    expect(emulator.state.applications.get(existing.id)!.name).toBe('Portal');

    await cluster.create(ns, 'thief', { type: 'Traditional', adoptApplicationId: existing.id });
    const refused = await cluster.waitReady(ns, 'thief', 'False', 'AdoptionRefused');
    expect(syncedMessage(refused)).toContain(`${ns}/adopter`);
  });

  it('reports an outage as LogtoUnavailable, backs off, and converges once Logto is back', async () => {
    emulator.faults.startOutage(503);
    try {
      await cluster.create(ns, 'outage', { type: 'MachineToMachine' });
      const down = await cluster.waitReady(ns, 'outage', 'False', 'LogtoUnavailable');
      expect(syncedMessage(down)).toMatch(/HTTP 503/);
      // The transport retried, and the reconcile went back through the rate limiter with backoff.
      await eventually(() => operator.logs.some((l) => l.includes('retrying Logto request')), {
        what: 'retry log',
      });
    } finally {
      emulator.faults.endOutage();
    }
    const up = await cluster.waitReady(ns, 'outage', 'True', undefined, 60_000);
    expect(emulator.state.applications.get(up.status!.applicationId!)).toBeDefined();
  });

  it('removes its finalizer at once when another controller changed the finalizer list meanwhile', async () => {
    const name = 'shared-finalizers';
    await cluster.create(ns, name, { type: 'SPA' });
    const id = (await cluster.waitReady(ns, name)).status!.applicationId!;
    // Another controller's finalizer ahead of the operator's: the operator's is at index 1.
    await cluster.patch(ns, name, { metadata: { finalizers: ['example.com/first', 'logto.io/finalizer'] } });
    await syncNow(env, ns, name);
    // The deletion in Logto commits, but its answer is held: meanwhile the other controller is done.
    emulator.faults.inject({
      method: 'DELETE',
      path: '/api/applications/{id}',
      holdAnswerMs: 1500,
      times: 1,
    });
    await cluster.delete(ns, name);
    await eventually(() => !emulator.state.applications.has(id), { what: 'application deleted in Logto' });
    await cluster.patch(ns, name, { metadata: { finalizers: ['logto.io/finalizer'] } });
    await eventually(async () => (await cluster.get(ns, name)) === undefined, {
      timeoutMs: 15_000,
      what: 'resource gone',
    });
    const events = await cluster.core.listNamespacedEvent({ namespace: ns });
    expect(
      events.items.filter((e) => e.involvedObject.name === name && e.reason === 'DeletionFailed'),
    ).toEqual([]);
  });
});
