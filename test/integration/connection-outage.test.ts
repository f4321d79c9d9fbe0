/**
 * A connection whose endpoint is down is probed, not hammered: during a 60 s outage with 50 resources
 * waiting on it, at most one call a second reaches the endpoint on average (its breaker opens after a
 * few failures; then one probe at a time, backing off towards a minute), and once it answers again
 * every resource goes on at once (the probe that gets an answer wakes them all).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogtoApplication } from '../../src/crd/logto-application.js';
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
const OUTAGE_MS = 60_000;

describe('an outage of a connection', () => {
  const cluster = new TestCluster(testKubeConfig());
  let emulator: LogtoEmulator;
  let operator: TestOperator;
  let ns: string;

  beforeAll(async () => {
    ns = await createTestNamespace(cluster.kc, 'outage');
    emulator = await startLogtoEmulator();
    operator = await startTestOperator(
      cluster.kc,
      testOperatorConfig(emulator, { watchNamespaces: [ns], concurrency: 4, logLevel: 'info' }),
    );
  });
  afterAll(async () => {
    await operator?.stop();
    await emulator?.close();
  });

  const ready = (resource: LogtoApplication) =>
    resource.status?.conditions?.some(
      (c) =>
        c.type === 'Ready' && c.status === 'True' && c.observedGeneration === resource.metadata.generation,
    );

  it(
    'is probed at most once a second on average, and every resource goes on within seconds of its return',
    { timeout: 180_000 },
    async () => {
      emulator.faults.startOutage(503);
      const since = emulator.calls.count();
      const started = performance.now();
      for (let i = 0; i < RESOURCES; i++) await cluster.create(ns, `app-${i}`, { type: 'SPA' });
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS - (performance.now() - started)));
      const calls = emulator.calls.count() - since;
      emulator.faults.endOutage();
      const back = performance.now();
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `${calls} calls in ${seconds.toFixed(1)} s of outage (${(calls / seconds).toFixed(2)} a second)`,
      );
      expect(calls / seconds).toBeLessThanOrEqual(1);

      await eventually(
        async () => {
          const { items } = (await cluster.custom.listNamespacedCustomObject({
            group: 'logto.io',
            version: 'v1alpha1',
            namespace: ns,
            plural: 'logtoapplications',
          })) as { items: LogtoApplication[] };
          return items.length === RESOURCES && items.every(ready);
        },
        // The probe's success wakes them all at once; the bound leaves room for a loaded machine
        // (the suite runs four files side by side on two cores).
        { what: `${RESOURCES} resources Ready after the outage`, timeoutMs: 30_000, intervalMs: 250 },
      );
      console.log(`all Ready ${((performance.now() - back) / 1000).toFixed(1)} s after Logto came back`);
    },
  );
});
