/**
 * The operator's refusal and failure paths against the real apiserver and the emulator: admission
 * rules, specs only the controller can judge, a foreign Secret, adoption rules, Logto outages and
 * rate limits, and a Management API client without permission.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MARKER_KEY } from '../../src/controllers/logto-application/ownership-marker.js';
import type { LogtoApplicationSpec } from '../../src/crd/logto-application.js';
import { startLogtoEmulator, type LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import { apiStatus, createTestNamespace, testKubeConfig } from '../support/kube.js';
import {
  decodeSecret,
  operatorEnvironment,
  startTestOperator,
  syncedMessage,
  syncNow,
  testOperatorConfig,
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

  it('an invalid spec the schema cannot catch: Ready=False InvalidSpec and no Logto call', async () => {
    const calls = emulator.calls.count();
    await cluster.create(ns, 'reserved', { type: 'SPA', customData: { [MARKER_KEY]: { uid: 'forged' } } });
    const resource = await cluster.waitReady(ns, 'reserved', 'False', 'InvalidSpec');
    expect(syncedMessage(resource)).toContain('reserved');
    expect(
      emulator.calls
        .list()
        .slice(calls)
        .filter((c) => c.route !== '/oidc/token'),
    ).toEqual([]);
  });

  it('leaves a Secret it does not own untouched: SecretConflict', async () => {
    await cluster.core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'taken' }, stringData: { LOGTO_APP_ID: 'someone-else' } },
    });
    const apps = applicationCount();
    await cluster.create(ns, 'conflict', { type: 'Traditional', secret: { name: 'taken' } });
    const resource = await cluster.waitReady(ns, 'conflict', 'False', 'SecretConflict');
    expect(syncedMessage(resource)).toContain('taken');
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

  it('refuses to adopt an application with isAdmin (Management API access without a role), never setting it', async () => {
    // The flag connection's policy allows adoption by name here, not of applications that hold
    // Management API access, and isAdmin counts as holding it.
    const admin = emulator.seed.application({ name: 'admin tool', type: 'MachineToMachine', isAdmin: true });
    const since = emulator.calls.count();
    await cluster.create(ns, 'admin-tool', { type: 'MachineToMachine', adoptApplicationId: admin.id });
    const refused = await cluster.waitReady(ns, 'admin-tool', 'False', 'PolicyDenied');
    expect(syncedMessage(refused)).toContain('isAdmin');
    const writes = emulator.calls
      .list()
      .slice(since)
      .filter((c) => c.method !== 'GET' && c.route !== '/oidc/token');
    expect(writes).toEqual([]);

    await cluster.create(ns, 'plain-m2m', { type: 'MachineToMachine' });
    const created = await cluster.waitReady(ns, 'plain-m2m');
    expect(created.status!.isAdmin).toBeUndefined();
    expect(emulator.state.applications.get(created.status!.applicationId!)!.isAdmin).toBe(false);
    expect(emulator.state.applications.get(admin.id)!.isAdmin).toBe(true);
  });

  it('names the access-control ids Logto does not know: an unknown user id', async () => {
    const apps = applicationCount();
    await cluster.create(ns, 'gated', { type: 'Traditional', accessControl: { userIds: ['no-such-user'] } });
    const resource = await cluster.waitReady(ns, 'gated', 'False', 'LogtoNotFound');
    expect(syncedMessage(resource)).toContain(
      'spec.accessControl.userIds names ids that do not exist in Logto: no-such-user',
    );
    // The application itself is kept; fixing the rule converges it.
    expect(applicationCount()).toBe(apps + 1);
    const user = emulator.seed.user({ name: 'Ada' });
    await cluster.patch(ns, 'gated', { spec: { accessControl: { userIds: [user.id] } } });
    await cluster.waitReady(ns, 'gated');
  });

  it('never takes an application named only by an annotation: no update, no Secret, no deletion', async () => {
    // Anyone who may edit the resource may set its annotations: the operator's own M2M application
    // or one made in the Console must not be reachable that way.
    const console = emulator.seed.application({ name: 'Console app', type: 'Traditional' });
    const before = structuredClone(emulator.state.applications.get(console.id)!);
    const calls = emulator.calls.count();
    await cluster.create(
      ns,
      'annotated',
      { type: 'Traditional', oidcClientMetadata: { redirectUris: ['https://evil.example/cb'] } },
      {
        'logto.io/external-name': console.id,
        'logto.io/external-create-succeeded': new Date().toISOString(),
      },
    );
    const refused = await cluster.waitReady(ns, 'annotated', 'False', 'AdoptionRefused');
    expect(syncedMessage(refused)).toContain('spec.adoptApplicationId');
    // Refused again on later passes: the refusal does not record the id as the resource's own.
    expect(refused.status?.applicationId).toBeUndefined();
    await syncNow(env, ns, 'annotated');
    const again = await cluster.waitReady(ns, 'annotated', 'False', 'AdoptionRefused');
    expect(again.status?.applicationId).toBeUndefined();
    expect(await cluster.secret(ns, 'annotated')).toBeUndefined();
    const writes = () =>
      emulator.calls
        .list()
        .slice(calls)
        .filter((c) => c.method !== 'GET' && c.path.includes(console.id));
    expect(writes()).toEqual([]);

    // With the operator's finalizer set by hand, deletion still leaves the application alone.
    await cluster.patch(ns, 'annotated', { metadata: { finalizers: ['logto.io/finalizer'] } });
    await cluster.delete(ns, 'annotated');
    await eventually(async () => (await cluster.get(ns, 'annotated')) === undefined, {
      what: 'resource gone',
    });
    expect(writes()).toEqual([]);
    expect(emulator.state.applications.get(console.id)).toEqual(before);
  });

  it("never takes the operator's own application through an annotation that repeats spec.adoptApplicationId", async () => {
    // Both are the user's words: together they are an adoption, judged by the policy (never the
    // connection's own application), not a record of the operator's.
    const own = emulator.credentials.clientId;
    const before = structuredClone(emulator.state.applications.get(own)!);
    const calls = emulator.calls.count();
    await cluster.create(
      ns,
      'hijack',
      { type: 'MachineToMachine', adoptApplicationId: own },
      { 'logto.io/external-name': own },
    );
    const refused = await cluster.waitReady(ns, 'hijack', 'False', 'PolicyDenied');
    expect(syncedMessage(refused)).toContain('ownApplication');
    expect(refused.status?.applicationId).toBeUndefined();
    expect(await cluster.secret(ns, 'hijack')).toBeUndefined();

    // A finalizer set by hand, then deletion: the application stays as it was.
    await cluster.patch(ns, 'hijack', { metadata: { finalizers: ['logto.io/finalizer'] } });
    await cluster.delete(ns, 'hijack');
    await eventually(async () => (await cluster.get(ns, 'hijack')) === undefined, { what: 'resource gone' });
    const writes = emulator.calls
      .list()
      .slice(calls)
      .filter((c) => c.method !== 'GET' && c.route !== '/oidc/token');
    expect(writes).toEqual([]);
    expect(emulator.state.applications.get(own)).toEqual(before);
  });

  it('refuses an adoption whose type does not fit without recording the application as its own', async () => {
    const other = emulator.seed.application({ name: 'a traditional app', type: 'Traditional' });
    await cluster.create(
      ns,
      'wrong-type',
      { type: 'SPA', adoptApplicationId: other.id },
      { 'logto.io/external-name': other.id },
    );
    const refused = await cluster.waitReady(ns, 'wrong-type', 'False', 'AdoptionRefused');
    expect(refused.status?.applicationId).toBeUndefined();
    await cluster.delete(ns, 'wrong-type');
    await eventually(async () => (await cluster.get(ns, 'wrong-type')) === undefined, {
      what: 'resource gone',
    });
    expect(emulator.state.applications.has(other.id)).toBe(true);
  });

  it('looks for its own application by marker before creating when the recorded id names none', async () => {
    await cluster.create(ns, 'misnamed', { type: 'SPA' });
    const id = (await cluster.waitReady(ns, 'misnamed')).status!.applicationId!;
    const creates = emulator.calls.count({ method: 'POST', route: '/api/applications' });
    for (const bogus of ['doesnotexist-1', 'doesnotexist-2']) {
      await cluster.patch(ns, 'misnamed', { metadata: { annotations: { 'logto.io/external-name': bogus } } });
      await syncNow(env, ns, 'misnamed');
      const resource = await cluster.waitReady(ns, 'misnamed');
      expect(resource.status!.applicationId).toBe(id);
      expect(resource.metadata.annotations!['logto.io/external-name']).toBe(id);
    }
    expect(emulator.calls.count({ method: 'POST', route: '/api/applications' })).toBe(creates);
  });

  it('refuses to adopt an application of another type, or one that does not exist', async () => {
    const m2m = emulator.seed.application({ name: 'robot', type: 'MachineToMachine' });
    await cluster.create(ns, 'wrong-type', { type: 'SPA', adoptApplicationId: m2m.id });
    const refused = await cluster.waitReady(ns, 'wrong-type', 'False', 'AdoptionRefused');
    expect(syncedMessage(refused)).toContain('type MachineToMachine');

    await cluster.create(ns, 'missing', { type: 'SPA', adoptApplicationId: 'doesnotexist' });
    await cluster.waitReady(ns, 'missing', 'False', 'ApplicationNotFound');
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

  it('keeps an available application Ready through an outage: only Synced turns False', async () => {
    await cluster.create(ns, 'steady', { type: 'Traditional' });
    await cluster.waitReady(ns, 'steady');
    emulator.faults.startOutage(503);
    try {
      await cluster.patch(ns, 'steady', { spec: { description: 'changed during the outage' } });
      const down = await cluster.waitReady(ns, 'steady', 'False', 'LogtoUnavailable');
      const ready = down.status!.conditions!.find((c) => c.type === 'Ready')!;
      expect(ready).toMatchObject({ status: 'True', reason: 'Available' });
      expect(ready.observedGeneration).toBe(down.metadata.generation);
    } finally {
      emulator.faults.endOutage();
    }
    const up = await cluster.waitReady(ns, 'steady', 'True', undefined, 60_000);
    expect(emulator.state.applications.get(up.status!.applicationId!)?.description).toBe(
      'changed during the outage',
    );
  });

  it('waits out 429 Retry-After and 5xx answers within a call', async () => {
    emulator.faults.inject({ method: 'POST', path: '/api/applications', retryAfterSeconds: 1, times: 1 });
    emulator.faults.inject({ method: 'GET', path: '/api/applications/{id}/secrets', status: 500, times: 2 });
    await cluster.create(ns, 'throttled', { type: 'Traditional' });
    await cluster.waitReady(ns, 'throttled');
    expect(emulator.calls.count({ method: 'POST', route: '/api/applications', status: 429 })).toBe(1);
    expect(emulator.calls.count({ route: '/api/applications/{id}/secrets', status: 500 })).toBe(2);
  });

  it('converges after the access token expires early (one refresh on 401)', async () => {
    const tokens = emulator.calls.count({ route: '/oidc/token' });
    const refusals = emulator.calls.count({ status: 401 });
    emulator.expireTokens();
    await cluster.create(ns, 'after-expiry', { type: 'SPA' });
    await cluster.waitReady(ns, 'after-expiry');
    expect(emulator.calls.count({ status: 401 }) - refusals).toBeGreaterThanOrEqual(1);
    expect(emulator.calls.count({ route: '/oidc/token' }) - tokens).toBe(1);
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

  it('keeps the finalizer through an outage during deletion, then deletes the app', async () => {
    await cluster.create(ns, 'delete-in-outage', { type: 'SPA' });
    const id = (await cluster.waitReady(ns, 'delete-in-outage')).status!.applicationId!;
    emulator.faults.startOutage(503);
    try {
      await cluster.delete(ns, 'delete-in-outage');
      const stuck = await cluster.waitReady(ns, 'delete-in-outage', 'False', 'DeletionFailed');
      expect(stuck.metadata.finalizers).toContain('logto.io/finalizer');
      expect(syncedMessage(stuck)).toMatch(/HTTP 503/);
    } finally {
      emulator.faults.endOutage();
    }
    await eventually(async () => (await cluster.get(ns, 'delete-in-outage')) === undefined, {
      timeoutMs: 60_000,
      what: 'resource gone after the outage',
    });
    expect(emulator.state.applications.get(id)).toBeUndefined();
  });
});

describe('an operator whose Logto client lacks the Management API role', () => {
  it('reports Forbidden with a clear message and creates nothing', async () => {
    const kc = testKubeConfig();
    const cluster = new TestCluster(kc);
    const ns = await createTestNamespace(kc, 'forbidden');
    const emulator = await startLogtoEmulator({ operator: { withManagementRole: false } });
    let operator: Awaited<ReturnType<typeof startTestOperator>> | undefined;
    try {
      operator = await startTestOperator(kc, testOperatorConfig(emulator, { watchNamespaces: [ns] }));
      await cluster.create(ns, 'app', { type: 'SPA' });
      const resource = await cluster.waitReady(ns, 'app', 'False', 'Forbidden');
      expect(syncedMessage(resource)).toContain('Logto Management API access');
      expect(emulator.state.applications.size).toBe(1); // only the operator's own app
    } finally {
      await operator?.stop();
      await emulator.close();
    }
  });
});

describe('an operator whose own credentials Logto refuses', () => {
  async function refusedWith(
    label: string,
    prepare: (emulator: LogtoEmulator) => Partial<ReturnType<typeof testOperatorConfig>>,
  ): Promise<{ message: string; secret: string }> {
    const kc = testKubeConfig();
    const cluster = new TestCluster(kc);
    const ns = await createTestNamespace(kc, label);
    const emulator = await startLogtoEmulator();
    let operator: Awaited<ReturnType<typeof startTestOperator>> | undefined;
    try {
      operator = await startTestOperator(
        kc,
        testOperatorConfig(emulator, { watchNamespaces: [ns], ...prepare(emulator) }),
      );
      await cluster.create(ns, 'app', { type: 'SPA' });
      const resource = await cluster.waitReady(ns, 'app', 'False', 'Unauthorized');
      expect(emulator.state.applications.size).toBe(1); // only the operator's own app
      expect(operator.logs.join('\n')).not.toContain(emulator.credentials.clientSecret);
      return { message: syncedMessage(resource), secret: emulator.credentials.clientSecret };
    } finally {
      await operator?.stop();
      await emulator.close();
    }
  }

  it('an unknown client id: Unauthorized, saying Logto knows no such application', async () => {
    const { message, secret } = await refusedWith('unknown-client', () => ({ clientId: 'no-such-client' }));
    expect(message).toContain('Logto knows no application with the client id no-such-client');
    expect(message).not.toContain(secret);
  });

  it('an expired client secret: Unauthorized, saying it has expired', async () => {
    const { message, secret } = await refusedWith('expired-secret', (emulator) => {
      const own = emulator.state.applications.get(emulator.credentials.clientId)!;
      for (const s of own.secrets) s.expiresAt = Date.now() - 60_000;
      return {};
    });
    expect(message).toMatch(/client secret of application \S+ has expired/);
    expect(message).not.toContain(secret);
  });
});

describe('an unexpected error in a pass', () => {
  it('shows as Synced=False ReconcileError with its message, and the pass is retried until it converges', async () => {
    const kc = testKubeConfig();
    const cluster = new TestCluster(kc);
    const ns = await createTestNamespace(kc, 'unexpected');
    const emulator = await startLogtoEmulator();
    let failing = true;
    let operator: Awaited<ReturnType<typeof startTestOperator>> | undefined;
    try {
      operator = await startTestOperator(kc, testOperatorConfig(emulator, { watchNamespaces: [ns] }), {
        // Not a planned stop: a bug-like error thrown in the middle of the pass.
        onKubeCall: (operation) => {
          if (failing && operation === 'applySecret')
            throw new TypeError('injected failure before the Secret');
        },
      });
      await cluster.create(ns, 'app', { type: 'SPA' });
      const failed = await cluster.waitReady(ns, 'app', 'False', 'ReconcileError');
      expect(syncedMessage(failed)).toBe('TypeError: injected failure before the Secret');
      failing = false;
      const converged = await cluster.waitReady(ns, 'app');
      // The same application: the failed pass had recorded it.
      expect(converged.status!.applicationId).toBe(failed.status!.applicationId);
      expect(emulator.state.applications.size).toBe(2); // the operator's own and this one
    } finally {
      await operator?.stop();
      await emulator.close();
    }
  });
});
