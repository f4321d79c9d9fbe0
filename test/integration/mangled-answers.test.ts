/**
 * A create whose answer cannot be read is still a create. With a third of Logto's answers mangled
 * (cut short, not JSON, of the wrong types, a proxy's HTML 502, every one after Logto committed the
 * call) and some create answers dropped after the commit, 50 new resources each end with exactly one
 * application, deleting them leaves none behind, and no answer of the wrong shape surfaces as a
 * TypeError: it is refused where it is read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogtoApplication } from '../../src/crd/logto-application.js';
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

const RESOURCES = 50;

describe('mangled answers', () => {
  const cluster = new TestCluster(testKubeConfig());
  let emulator: LogtoEmulator;
  let operator: TestOperator;
  let ns: string;

  beforeAll(async () => {
    ns = await createTestNamespace(cluster.kc, 'mangled');
    emulator = await startLogtoEmulator();
    operator = await startTestOperator(
      cluster.kc,
      testOperatorConfig(emulator, {
        watchNamespaces: [ns],
        concurrency: 4,
        logLevel: 'info',
        sweepPeriodMs: 0,
      }),
    );
  });
  afterAll(async () => {
    await operator?.stop();
    await emulator?.close();
  });

  const list = async () =>
    (
      (await cluster.custom.listNamespacedCustomObject({
        group: 'logto.io',
        version: 'v1alpha1',
        namespace: ns,
        plural: 'logtoapplications',
      })) as { items: LogtoApplication[] }
    ).items;
  const appsMarkedFor = (uid: string) =>
    [...emulator.state.applications.values()].filter((app) => readMarker(app.customData)?.uid === uid);

  it(
    'ends with exactly one application per resource, and none once they are deleted',
    { timeout: 240_000 },
    async () => {
      emulator.faults.inject({ path: '/api/**', mangle: 'any', probability: 1 / 3 });
      emulator.faults.inject({
        method: 'POST',
        path: '/api/applications',
        dropAnswer: true,
        probability: 0.1,
      });
      const names = Array.from({ length: RESOURCES }, (_, i) => `app-${i}`);
      for (const [i, name] of names.entries()) {
        await cluster.create(ns, name, { type: i % 2 ? 'Traditional' : 'SPA' });
      }
      // Until every resource took a pass, and as many creates as resources were sent, through the
      // faults (a connection failing often is probed rather than called: it takes a while).
      const creates = () => emulator.calls.count({ method: 'POST', route: '/api/applications' });
      await eventually(() => names.every((name) => operator.passes(ns, name) > 0) && creates() >= RESOURCES, {
        what: 'a pass of every resource and a create each',
        timeoutMs: 90_000,
      });
      const mangled = emulator.calls.list().filter((call) => call.fault === 'mangled').length;
      emulator.faults.clear();

      const ready = (r: LogtoApplication) =>
        r.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') &&
        r.status.conditions.some((c) => c.type === 'Synced' && c.status === 'True');
      let last: LogtoApplication[] = [];
      const resources = await eventually(
        async () => {
          last = await list();
          return last.length === RESOURCES && last.every(ready) ? last : undefined;
        },
        { what: `${RESOURCES} resources Ready`, timeoutMs: 60_000, intervalMs: 500 },
      ).catch((error: unknown) => {
        const waiting = last
          .filter((r) => !ready(r))
          .map(
            (r) =>
              `${r.metadata.name}: ${JSON.stringify(r.status?.conditions?.find((c) => c.type === 'Synced'))}`,
          );
        throw new Error(`${String(error)}\n${waiting.join('\n')}`);
      });
      for (const resource of resources) {
        const owned = appsMarkedFor(resource.metadata.uid);
        expect(
          owned.map((a) => a.id),
          resource.metadata.name,
        ).toEqual([resource.status!.applicationId]);
      }

      for (const name of names) await cluster.delete(ns, name);
      await eventually(async () => (await list()).length === 0, { what: 'all deleted', timeoutMs: 60_000 });
      for (const resource of resources) expect(appsMarkedFor(resource.metadata.uid)).toEqual([]);

      expect(mangled).toBeGreaterThan(10);
      const typeErrors = operator.logs.filter((line) => line.includes('TypeError'));
      expect(typeErrors).toEqual([]);
      console.log(`${mangled} answers mangled; ${operator.reconciles} passes`);
    },
  );
});
