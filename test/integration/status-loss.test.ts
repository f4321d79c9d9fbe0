/**
 * Status is the first thing lost (a backup restore, a re-apply, a lost write): wiped at seeded random
 * points of a create, an update, a rotation and a deletion, the resource converges to the same
 * application, the same published secret, no lingering retired secret and no duplicate.
 *
 * A point is "after the n-th Logto call of the operation" (n drawn from a seeded generator): the wipe
 * then races the rest of the pass, as a restore would. Whatever it hit, the next pass must repair it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROTATE_NOW_ANNOTATION } from '../../src/controllers/logto-application/client-secrets.js';
import { EXTERNAL_NAME_ANNOTATION } from '../../src/controllers/logto-application/external-name.js';
import { readMarker } from '../../src/controllers/logto-application/ownership-marker.js';
import { startLogtoEmulator, type LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import { createTestNamespace, testKubeConfig } from '../support/kube.js';
import {
  decodeSecret,
  emulatorSecrets,
  startTestOperator,
  syncNow,
  testOperatorConfig,
  TestCluster,
  type TestOperator,
} from '../support/operator.js';

const SEEDS = [11, 23, 42];
const OPERATOR_SECRET = /^logto-operator-/;

/** mulberry32: a small seeded generator, so that a failing seed can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('status wiped at random points', () => {
  const cluster = new TestCluster(testKubeConfig());
  let emulator: LogtoEmulator;
  let operator: TestOperator;
  let ns: string;
  /** The armed wipe: after `remaining` more Logto calls, the status of `name` is removed. */
  let armed: { remaining: number; name: string } | undefined;
  let wiping: Promise<void> | undefined;

  const wipe = (name: string) =>
    cluster.wipeStatus(ns, name).catch((error: unknown) => {
      // The resource may be gone already (the deletion phase).
      if ((error as { code?: number }).code !== 404) throw error;
    });

  beforeAll(async () => {
    ns = await createTestNamespace(cluster.kc, 'status-loss');
    emulator = await startLogtoEmulator();
    operator = await startTestOperator(
      cluster.kc,
      testOperatorConfig(emulator, { watchNamespaces: [ns], sweepPeriodMs: 0 }),
      {
        onLogtoRequest: () => {
          if (!armed || --armed.remaining > 0) return;
          wiping = wipe(armed.name);
          armed = undefined;
        },
      },
    );
  });
  afterAll(async () => {
    await operator?.stop();
    const secrets = emulator ? emulatorSecrets(emulator) : [];
    await emulator?.close();
    expect(secrets.filter((s) => operator?.logs.some((line) => line.includes(s)))).toEqual([]);
  });

  /** Wipes the status after the n-th next Logto call. */
  const arm = (name: string, random: () => number) => {
    armed = { remaining: 1 + Math.floor(random() * 4), name };
    wiping = undefined;
  };
  /**
   * The wipe happened (now, if the operation made fewer calls than drawn), then a pass ran: a status
   * change alone queues no pass, the resync or the force-sync annotation does.
   */
  const settle = async (name: string) => {
    if (armed) {
      armed = undefined;
      wiping = wipe(name);
    }
    await wiping;
    await syncNow({ operator, cluster }, ns, name);
    return cluster.waitReady(ns, name);
  };

  const appsOf = (uid: string) =>
    [...emulator.state.applications.values()].filter((app) => readMarker(app.customData)?.uid === uid);

  /** The application, its published secret and the Secret agree; nothing else is marked for it. */
  const expectConverged = async (name: string, uid: string, id: string, published: RegExp | string) => {
    const resource = (await cluster.get(ns, name))!;
    expect(appsOf(uid).map((app) => app.id)).toEqual([id]);
    expect(resource.metadata.annotations?.[EXTERNAL_NAME_ANNOTATION]).toBe(id);
    expect(resource.status?.applicationId).toBe(id);
    expect(resource.status?.publishedSecret).toMatch(published);
    const secret = emulator.state.applications
      .get(id)!
      .secrets.find((s) => s.name === resource.status!.publishedSecret)!;
    expect(decodeSecret(await cluster.secret(ns, name))).toMatchObject({
      LOGTO_APP_ID: id,
      LOGTO_APP_SECRET: secret.value,
    });
    return resource;
  };

  it.each(SEEDS)('seed %i: create, update, rotation and deletion each survive a wipe', async (seed) => {
    const random = seeded(seed);
    const name = `wiped-${seed}`;

    // Create.
    arm(name, random);
    const { uid } = (
      await cluster.create(ns, name, {
        type: 'MachineToMachine',
        customData: { revision: 1 },
        rotation: { gracePeriod: '2s' },
      })
    ).metadata;
    await eventually(() => appsOf(uid).length > 0, { what: 'the application created' });
    await settle(name);
    const id = appsOf(uid)[0]!.id;
    await expectConverged(name, uid, id, 'Default secret');
    const firstValue = decodeSecret(await cluster.secret(ns, name)).LOGTO_APP_SECRET;

    // Update.
    arm(name, random);
    await cluster.patch(ns, name, { spec: { customData: { revision: 2 } } });
    await eventually(() => emulator.state.applications.get(id)?.customData.revision === 2, {
      what: 'the update in Logto',
    });
    await settle(name);
    await expectConverged(name, uid, id, 'Default secret');
    expect(decodeSecret(await cluster.secret(ns, name)).LOGTO_APP_SECRET).toBe(firstValue);

    // Rotation: a new secret is published; the old one goes after its grace period.
    arm(name, random);
    await cluster.patch(ns, name, { metadata: { annotations: { [ROTATE_NOW_ANNOTATION]: `t-${seed}` } } });
    await eventually(
      () => emulator.state.applications.get(id)!.secrets.some((s) => OPERATOR_SECRET.test(s.name)),
      { what: 'the new secret' },
    );
    await settle(name);
    const rotated = await expectConverged(name, uid, id, OPERATOR_SECRET);
    const published = rotated.status!.publishedSecret!;
    // Retired by the pass that the operator schedules for the end of the grace period, from what
    // Logto says (status was wiped): no forced pass here.
    await eventually(() => emulator.state.applications.get(id)!.secrets.length === 1, {
      timeoutMs: 30_000,
      what: 'the retired secret deleted',
    });
    expect(emulator.state.applications.get(id)!.secrets.map((s) => s.name)).toEqual([published]);
    // Another pass with empty status neither rotates again nor brings back the old secret.
    await cluster.wipeStatus(ns, name);
    await syncNow({ operator, cluster }, ns, name);
    await cluster.waitReady(ns, name);
    await expectConverged(name, uid, id, published);
    expect(emulator.state.applications.get(id)!.secrets.map((s) => s.name)).toEqual([published]);

    // Deletion.
    arm(name, random);
    await cluster.delete(ns, name);
    await eventually(async () => (await cluster.get(ns, name)) === undefined, {
      timeoutMs: 30_000,
      what: 'the resource gone',
    });
    armed = undefined;
    await wiping;
    expect(appsOf(uid)).toEqual([]);
  });
});
