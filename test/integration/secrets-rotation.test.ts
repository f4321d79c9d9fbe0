/**
 * Client secrets: declared named secrets, rotation (requested, scheduled) with a grace period, and the
 * migration of a legacy secret — with a client that keeps authenticating with whatever the
 * Kubernetes Secret holds and must never be refused.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ROTATE_NOW_ANNOTATION } from '../../src/controllers/logto-application/client-secrets.js';
import type { LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import { decodeSecret, operatorEnvironment, syncNow, type TestCluster } from '../support/operator.js';

describe('client secrets', () => {
  const env = operatorEnvironment('secrets', {
    // Adoption is off by default; these tests adopt applications made in the "Console".
    config: { flagPolicy: { adoption: { namePatterns: ['*'] } } },
  });
  let emulator: LogtoEmulator, cluster: TestCluster, ns: string;
  beforeAll(() => void ({ emulator, cluster, ns } = env));

  const secretNames = (id: string) =>
    emulator.state.applications
      .get(id)!
      .secrets.map((s) => s.name)
      .sort();

  /** Authenticates at Logto's token endpoint (client credentials); answers the HTTP status. */
  async function authenticate(appId: string, secret: string): Promise<number> {
    const basic = Buffer.from(`${appId}:${secret}`).toString('base64');
    const response = await fetch(`${emulator.endpoint}/oidc/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: emulator.resourceIndicator }),
    });
    return response.status;
  }

  /** Authenticates with whatever the Kubernetes Secret holds right now. */
  async function authenticateWithPublishedSecret(secretName: string): Promise<number> {
    const data = decodeSecret(await cluster.secret(ns, secretName));
    return authenticate(data.LOGTO_APP_ID!, data.LOGTO_APP_SECRET!);
  }

  it('keeps declared named secrets, and deletes one dropped from the spec', async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
    await cluster.create(ns, 'named', {
      type: 'MachineToMachine',
      secrets: [{ name: 'ci-pipeline' }, { name: 'temporary', expiresAt }],
    });
    let resource = await cluster.waitReady(ns, 'named');
    const id = resource.status!.applicationId!;
    expect(secretNames(id)).toEqual(['Default secret', 'ci-pipeline', 'temporary']);
    const temporary = emulator.state.applications.get(id)!.secrets.find((s) => s.name === 'temporary')!;
    expect(temporary.expiresAt).toBe(Date.parse(expiresAt));
    expect(resource.status).toMatchObject({
      publishedSecret: 'Default secret',
      managedSecrets: ['ci-pipeline', 'temporary'],
    });

    await cluster.patch(ns, 'named', { spec: { secrets: [{ name: 'ci-pipeline' }] } });
    resource = await cluster.waitReady(ns, 'named');
    expect(secretNames(id)).toEqual(['Default secret', 'ci-pipeline']);
  });

  it('rotates on the rotate-now annotation: publishes the new secret, retires the old after the grace period', async () => {
    await cluster.create(ns, 'on-demand', { type: 'MachineToMachine', rotation: { gracePeriod: '5s' } });
    const before = await cluster.waitReady(ns, 'on-demand');
    const id = before.status!.applicationId!;
    const oldValue = decodeSecret(await cluster.secret(ns, 'on-demand')).LOGTO_APP_SECRET;

    await cluster.patch(ns, 'on-demand', {
      metadata: { annotations: { [ROTATE_NOW_ANNOTATION]: 'ticket-42' } },
    });
    const rotated = await eventually(
      async () => {
        const r = await cluster.get(ns, 'on-demand');
        return r?.status?.publishedSecret?.startsWith('logto-operator-') ? r : undefined;
      },
      { what: 'rotation' },
    );
    const events = await cluster.core.listNamespacedEvent({ namespace: ns });
    expect(events.items.map((e) => `${e.reason}: ${e.message}`)).toContainEqual(
      expect.stringMatching(
        /^Rotated: published client secret "logto-operator-.*" in place of "Default secret" \(requested\)$/,
      ),
    );
    expect(rotated.status!.rotation).toMatchObject({
      lastRotateNowToken: 'ticket-42',
      retiringSecrets: [{ name: 'Default secret', deleteAfter: expect.any(String) }],
    });
    const newValue = decodeSecret(await cluster.secret(ns, 'on-demand')).LOGTO_APP_SECRET;
    expect(newValue).not.toBe(oldValue);
    // Both work during the grace period, then the old one is gone.
    expect(secretNames(id)).toContain('Default secret');
    expect(await authenticate(id, oldValue!)).toBe(200);
    expect(await authenticate(id, newValue!)).toBe(200);
    await eventually(() => !secretNames(id).includes('Default secret'), { what: 'old secret retired' });
    expect(await authenticate(id, oldValue!)).not.toBe(200);
    expect(secretNames(id)).toEqual([rotated.status!.publishedSecret]);
    const settled = await eventually(
      async () => {
        const r = await cluster.get(ns, 'on-demand');
        return r?.status?.rotation?.retiringSecrets ? undefined : r;
      },
      { what: 'retiring list emptied' },
    );
    expect(settled.status!.rotation!.lastRotateNowToken).toBe('ticket-42');

    // The same annotation value does not rotate again.
    const published = settled.status!.publishedSecret;
    await syncNow(env, ns, 'on-demand');
    expect((await cluster.get(ns, 'on-demand'))!.status!.publishedSecret).toBe(published);
  });

  it('with its status wiped after a rotation, publishes the same secret and still retires the old one', async () => {
    await cluster.create(ns, 'wiped', { type: 'MachineToMachine', rotation: { gracePeriod: '4s' } });
    const id = (await cluster.waitReady(ns, 'wiped')).status!.applicationId!;
    await cluster.patch(ns, 'wiped', { metadata: { annotations: { [ROTATE_NOW_ANNOTATION]: 'ticket-7' } } });
    const rotated = await eventually(
      async () => {
        const r = await cluster.get(ns, 'wiped');
        return r?.status?.publishedSecret?.startsWith('logto-operator-') ? r : undefined;
      },
      { what: 'rotation' },
    );
    const published = rotated.status!.publishedSecret!;
    const value = decodeSecret(await cluster.secret(ns, 'wiped')).LOGTO_APP_SECRET;
    expect(secretNames(id)).toEqual(['Default secret', published].sort());

    await cluster.wipeStatus(ns, 'wiped');
    await syncNow(env, ns, 'wiped');
    const after = (await cluster.get(ns, 'wiped'))!;
    expect(after.status).toMatchObject({
      applicationId: id,
      publishedSecret: published,
      rotation: { lastRotateNowToken: 'ticket-7', retiringSecrets: [{ name: 'Default secret' }] },
    });
    expect(decodeSecret(await cluster.secret(ns, 'wiped')).LOGTO_APP_SECRET).toBe(value);
    // The rotate-now token was not acted on twice, and the old secret still goes on time.
    await eventually(() => !secretNames(id).includes('Default secret'), { what: 'old secret retired' });
    expect(secretNames(id)).toEqual([published]);
  });

  it('a client using whatever the Secret holds never fails through scheduled rotations', async () => {
    await cluster.create(ns, 'rotating', {
      type: 'MachineToMachine',
      rotation: { every: '3s', gracePeriod: '2s' },
    });
    const resource = await cluster.waitReady(ns, 'rotating');
    const id = resource.status!.applicationId!;
    expect(resource.status!.rotation!.nextRotationTime).toEqual(expect.any(String));

    const published = new Set<string>();
    const failures: number[] = [];
    let attempts = 0;
    // Authenticate continuously until the Secret has carried three values (two rotations).
    await eventually(
      async () => {
        const status = await authenticateWithPublishedSecret('rotating');
        attempts++;
        if (status !== 200) failures.push(status);
        published.add(decodeSecret(await cluster.secret(ns, 'rotating')).LOGTO_APP_SECRET!);
        return published.size >= 3;
      },
      { timeoutMs: 60_000, intervalMs: 50, what: 'two rotations' },
    );
    expect(failures).toEqual([]);
    expect(attempts).toBeGreaterThan(published.size);
    // Retired secrets are really deleted: the published one and at most one in its grace period remain.
    await eventually(() => emulator.state.applications.get(id)!.secrets.length <= 2, {
      what: 'retired secrets deleted',
    });
  });

  it('migrates a legacy secret: publishes a new secret first, deletes the legacy one after the grace period', async () => {
    const legacy = emulator.seed.application({ name: 'old portal', type: 'Traditional', legacySecret: true });
    const legacyValue = legacy.legacySecret!;
    await cluster.create(ns, 'legacy', { type: 'Traditional', adoptApplicationId: legacy.id });
    let resource = await cluster.waitReady(ns, 'legacy');
    expect(resource.status!.publishedSecret).toBe('(legacy)');
    expect(decodeSecret(await cluster.secret(ns, 'legacy')).LOGTO_APP_SECRET).toBe(legacyValue);

    await cluster.patch(ns, 'legacy', {
      spec: { rotation: { migrateLegacySecret: true, gracePeriod: '1s' } },
    });
    resource = await cluster.waitReady(ns, 'legacy');
    expect(resource.status!.publishedSecret).toMatch(/^logto-operator-/);
    expect(decodeSecret(await cluster.secret(ns, 'legacy')).LOGTO_APP_SECRET).not.toBe(legacyValue);
    await eventually(() => emulator.state.applications.get(legacy.id)!.legacySecret === null, {
      what: 'legacy secret deleted',
    });
  });
});
