/**
 * More objects than one LIST page: after a restart the operator must see every LogtoApplication and
 * every Secret it owns, not only the first page (lists follow `continue`). The page size is set to 5
 * for 23 resources, so five pages of each.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLogtoEmulator, type LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import { createTestNamespace, testKubeConfig } from '../support/kube.js';
import {
  decodeSecret,
  startTestOperator,
  testOperatorConfig,
  TestCluster,
  type TestOperator,
} from '../support/operator.js';

const COUNT = 23;
const PAGE_SIZE = 5;
const names = Array.from({ length: COUNT }, (_, i) => `app-${String(i).padStart(2, '0')}`);

describe('lists larger than one page', () => {
  const kc = testKubeConfig();
  const cluster = new TestCluster(kc);
  let emulator: LogtoEmulator;
  let ns: string;
  let operator: TestOperator | undefined;
  const start = () =>
    startTestOperator(
      kc,
      testOperatorConfig(emulator, {
        watchNamespaces: [ns],
        listPageSize: PAGE_SIZE,
        concurrency: 4,
        logLevel: 'info',
        // The sweep lists the tenant on its own schedule; these tests count the passes' lists.
        sweepPeriodMs: 0,
      }),
    );

  beforeAll(async () => {
    ns = await createTestNamespace(kc, 'large-lists');
    emulator = await startLogtoEmulator();
    operator = await start();
    await Promise.all(names.map((name) => cluster.create(ns, name, { type: 'Traditional' })));
    for (const name of names) await cluster.waitReady(ns, name, 'True', undefined, 60_000);
    await operator.stop();
    operator = undefined;
  });
  afterAll(async () => {
    await operator?.stop();
    await emulator?.close();
  });

  it('after a restart, reconciles every resource from its caches: every LogtoApplication and Secret was listed', async () => {
    // Drift made while the operator was away: the restart's passes see it in the list and fix it.
    const drifted = (await cluster.get(ns, names[7]!))!.status!.applicationId!;
    emulator.state.applications.get(drifted)!.name = 'renamed in the Console';
    const since = emulator.calls.count();
    operator = await start();
    const current = operator;
    // At start-up every cached LogtoApplication is queued once: all 23, not the first page's 5.
    await eventually(() => names.every((name) => current.passes(ns, name) >= 1), {
      timeoutMs: 60_000,
      what: 'a pass of every resource',
    });
    await eventually(
      () =>
        current.operator.controller.activeWorkers() === 0 && current.operator.controller.queue.len() === 0,
      { what: 'an idle controller' },
    );
    expect(names.map((name) => current.passes(ns, name))).toEqual(names.map(() => 1));
    // Every owned Secret came from the cache (a Secret missing from it would be read from the API
    // server), and each was found up to date: nothing written.
    expect(current.kubeCalls.filter((call) => call === 'readSecret')).toEqual([]);
    expect(current.kubeCalls.filter((call) => call === 'applySecret')).toEqual([]);
    // Each periodic pass observed its application from one shared list of the tenant, and only the
    // drifted one was read again, to patch what Logto holds rather than the listed copy.
    const calls = emulator.calls.list().slice(since);
    expect(calls.filter((c) => c.operation === 'list_applications')).toHaveLength(1);
    expect(calls.filter((c) => c.operation === 'get_application').map((c) => c.path)).toEqual([
      `/api/applications/${drifted}`,
    ]);
    expect(emulator.state.applications.get(drifted)!.name).toBe(names[7]);
  });

  it('reverts a hand edit of a Secret that was on the last page (the lean Secret cache still detects drift)', async () => {
    const name = names.at(-1)!;
    const before = decodeSecret(await cluster.secret(ns, name));
    await cluster.core.patchNamespacedSecret(
      { namespace: ns, name, body: { data: { LOGTO_APP_ID: Buffer.from('tampered').toString('base64') } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await eventually(
      async () => decodeSecret(await cluster.secret(ns, name)).LOGTO_APP_ID === before.LOGTO_APP_ID,
      {
        timeoutMs: 30_000,
        what: `Secret ${name} restored`,
      },
    );
  });
});
