/**
 * Creating costs O(1) Logto calls: a burst of new LogtoApplications makes one create each and no list
 * of applications (a marker search belongs to recovery only, the sweep to its own period), one
 * reconcile each, and three Kubernetes writes each. More resources than a page of the operator's
 * lists; `npm run bench` checks the same counts on a burst of any size (e.g. --count 1000).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP, PLURAL, VERSION, type LogtoApplication } from '../../src/crd/logto-application.js';
import { readMarker } from '../../src/controllers/logto-application/ownership-marker.js';
import { startLogtoEmulator, type LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import { createTestNamespace, testKubeConfig } from '../support/kube.js';
import {
  startTestOperator,
  testOperatorConfig,
  TestCluster,
  type TestOperator,
} from '../support/operator.js';

const COUNT = 60;
/** The informers' list page: the burst spans three pages. */
const PAGE_SIZE = 25;
/** Resources created at once. */
const BATCH = 20;

describe('a burst of creates', () => {
  const cluster = new TestCluster(testKubeConfig());
  let emulator: LogtoEmulator;
  let operator: TestOperator | undefined;
  let ns: string;

  beforeAll(async () => {
    ns = await createTestNamespace(cluster.kc, 'burst');
    emulator = await startLogtoEmulator();
    operator = await startTestOperator(
      cluster.kc,
      testOperatorConfig(emulator, {
        watchNamespaces: [ns],
        concurrency: 8,
        listPageSize: PAGE_SIZE,
        logLevel: 'warn',
        // The sweep lists the tenant once per period by design; this test counts the create path's lists.
        sweepPeriodMs: 0,
      }),
    );
  });
  afterAll(async () => {
    await operator?.stop();
    await emulator?.close();
  });

  const listResources = async () =>
    (
      (await cluster.custom.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns,
        plural: PLURAL,
      })) as { items: LogtoApplication[] }
    ).items;

  it(`${COUNT} new resources: one create each, no list call, one application each`, async () => {
    const names = Array.from({ length: COUNT }, (_, i) => `app-${String(i).padStart(4, '0')}`);
    for (let i = 0; i < names.length; i += BATCH) {
      await Promise.all(names.slice(i, i + BATCH).map((name) => cluster.create(ns, name, { type: 'SPA' })));
    }
    const ready = (resource: LogtoApplication) =>
      resource.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    const resources = await eventually(
      async () => {
        const items = await listResources();
        return items.length === COUNT && items.every(ready) ? items : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: `${COUNT} resources Ready` },
    );

    // Every new resource took one reconcile and three Kubernetes writes in it (finalizer with
    // create-pending, Secret, status; the Created event is written by the recorder, off the pass),
    // and one read (its Secret, not yet in the cache).
    expect(operator!.reconciles).toBe(COUNT);
    const writes = new Map<string, number>();
    for (const call of operator!.kubeCalls) writes.set(call, (writes.get(call) ?? 0) + 1);
    expect(Object.fromEntries(writes)).toEqual({
      applyMetadata: COUNT,
      readSecret: COUNT,
      applySecret: COUNT,
      applyStatus: COUNT,
      recordEvent: COUNT,
    });
    expect(emulator.calls.count({ operation: 'list_applications' })).toBe(0);
    expect(emulator.calls.count({ operation: 'create_application' })).toBe(COUNT);
    // Each resource records its own application, and each application carries its resource's marker.
    const byUid = new Map(resources.map((r) => [r.metadata.uid, r]));
    const created = [...emulator.state.applications.values()].filter((app) => readMarker(app.customData));
    expect(created).toHaveLength(COUNT);
    for (const app of created) {
      const owner = byUid.get(readMarker(app.customData)!.uid);
      expect(owner?.status?.applicationId, app.id).toBe(app.id);
    }
    // Every Created event is written, none dropped (the recorder writes several at once).
    await eventually(
      async () =>
        (await cluster.core.listNamespacedEvent({ namespace: ns })).items.filter(
          (e) => e.reason === 'Created',
        ).length === COUNT,
      { what: `${COUNT} Created events` },
    );
  });
});
