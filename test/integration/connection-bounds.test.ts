/**
 * A namespace's connection is bounded and fair. Three namespaces each point a LogtoConnection at an
 * endpoint of their own that answers the token request and the readiness check, then every write in
 * one hostile way (an endless body, no answer, 429 with Retry-After: 30 for ever), four applications
 * each. Meanwhile a fourth namespace's application, on the healthy flag-configured connection,
 * becomes Ready at once; the operator (a process with the chart's heap limit) neither dies nor
 * swells; and nothing those endpoints wrote reaches a condition or an Event.
 */
import { readFileSync } from 'node:fs';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { GROUP, VERSION } from '../../src/crd/logto-application.js';
import type { LogtoConnectionObject } from '../../src/crd/logto-connection.js';
import { startLogtoEmulator, type LogtoEmulator } from '../emulator/index.js';
import { eventually } from '../support/eventually.js';
import {
  HOSTILE_TEXT,
  startHostileLogto,
  type HostileLogto,
  type HostileMode,
} from '../support/hostile-logto.js';
import { createTestNamespace, testKubeConfig } from '../support/kube.js';
import { TestCluster } from '../support/operator.js';
import { operatorProcesses } from '../support/operator-process.js';

const MODES: HostileMode[] = ['endless', 'slow', 'throttle'];
const APPS_PER_NAMESPACE = 4;
/** The chart's heap limit (heapLimitMi) and memory limit. */
const HEAP_LIMIT_MI = 160;
const MEMORY_LIMIT_MI = 256;

function rssMi(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : 0;
}

describe('a namespace connection whose endpoint misbehaves', () => {
  const kc = testKubeConfig();
  const cluster = new TestCluster(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  let emulator: LogtoEmulator;
  const hostile = new Map<HostileMode, HostileLogto>();

  beforeAll(async () => {
    emulator = await startLogtoEmulator();
    for (const mode of MODES) hostile.set(mode, await startHostileLogto(mode));
  });
  afterAll(async () => {
    await emulator?.close();
    for (const server of hostile.values()) await server.close();
  });
  // Registered after the hook above, so it runs first: processes go before what they talk to.
  const startProcess = operatorProcesses();

  const connectionOf = async (namespace: string) =>
    (await custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: 'logtoconnections',
      name: 'own',
    })) as LogtoConnectionObject;

  it('neither slows nor swells the operator for anyone else, nor speaks through it', async () => {
    const namespaces = new Map<HostileMode, string>();
    for (const mode of MODES) {
      const ns = await createTestNamespace(kc, `hostile-${mode}`);
      namespaces.set(mode, ns);
      const server = hostile.get(mode)!;
      await core.createNamespacedSecret({
        namespace: ns,
        body: { metadata: { name: 'logto-credentials' }, stringData: server.credentials },
      });
      await custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns,
        plural: 'logtoconnections',
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'LogtoConnection',
          metadata: { name: 'own' },
          spec: {
            endpoint: server.endpoint,
            managementApiResource: server.resource,
            credentialsSecretRef: { name: 'logto-credentials' },
            requestTimeout: '3s',
          },
        },
      });
    }
    const healthy = await createTestNamespace(kc, 'healthy');
    const operator = startProcess(inject('kubeconfigPath'), emulator, {
      WATCH_NAMESPACES: [...namespaces.values(), healthy].join(','),
      LEADER_ELECT: 'false',
      CONCURRENCY: '4',
      NODE_OPTIONS: `--max-old-space-size=${HEAP_LIMIT_MI}`,
    });
    let peakRssMi = 0;
    const sampler = setInterval(() => {
      if (operator.child.exitCode === null) peakRssMi = Math.max(peakRssMi, rssMi(operator.child.pid!));
    }, 100);
    try {
      for (const ns of namespaces.values()) {
        await eventually(
          async () =>
            (await connectionOf(ns)).status?.conditions?.some(
              (c) => c.type === 'Ready' && c.status === 'True',
            ),
          { what: `LogtoConnection ${ns}/own Ready`, timeoutMs: 60_000 },
        );
      }
      for (const ns of namespaces.values()) {
        for (let i = 0; i < APPS_PER_NAMESPACE; i++) {
          await cluster.create(ns, `app-${i}`, {
            type: 'SPA',
            connectionRef: { kind: 'LogtoConnection', name: 'own' },
          });
        }
      }
      // Every hostile endpoint is at work on a create.
      await eventually(() => MODES.every((mode) => hostile.get(mode)!.stats.writes > 0), {
        what: 'writes reaching every hostile endpoint',
      });

      const created = performance.now();
      await cluster.create(healthy, 'web', { type: 'SPA' });
      await cluster.waitReady(healthy, 'web', 'True', undefined, 5_000);
      const readyMs = performance.now() - created;

      // Each hostile application says why it is not Ready, in the operator's words.
      for (const [mode, ns] of namespaces) {
        for (let i = 0; i < APPS_PER_NAMESPACE; i++) {
          await cluster.waitReady(ns, `app-${i}`, 'False', 'LogtoUnavailable', 60_000);
        }
        const statuses = JSON.stringify(
          await custom.listNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            namespace: ns,
            plural: 'logtoapplications',
          }),
        );
        const events = JSON.stringify((await core.listNamespacedEvent({ namespace: ns })).items);
        expect(statuses, mode).not.toContain(HOSTILE_TEXT);
        expect(events, mode).not.toContain(HOSTILE_TEXT);
        expect(JSON.stringify((await connectionOf(ns)).status)).not.toContain(HOSTILE_TEXT);
      }
      // Each says which limit it hit, or (once the connection's breaker opened) that it waits for a
      // probe, naming the last failure.
      const synced = async (mode: HostileMode) =>
        (
          await Promise.all(
            Array.from({ length: APPS_PER_NAMESPACE }, (_, i) =>
              cluster.get(namespaces.get(mode)!, `app-${i}`),
            ),
          )
        ).map((r) => r!.status!.conditions!.find((c) => c.type === 'Synced')!.message);
      for (const message of await synced('endless')) {
        expect(message).toMatch(/larger than 4 MiB|last: ERR_ANSWER_TOO_LARGE/);
      }
      for (const message of await synced('slow')) {
        expect(message).toMatch(/no complete answer within 3s|last: ETIMEDOUT/);
      }
      // Retry-After is honoured: one write per application at most, however long the test runs.
      expect(hostile.get('throttle')!.stats.writes).toBeLessThanOrEqual(APPS_PER_NAMESPACE);

      expect(operator.child.exitCode, operator.output().slice(-2_000)).toBeNull();
      expect(peakRssMi).toBeLessThan(MEMORY_LIMIT_MI);
      console.log(
        `healthy namespace Ready ${Math.round(readyMs)} ms after creation; operator peak RSS ${Math.round(peakRssMi)} MiB; ` +
          `${Math.round(hostile.get('endless')!.stats.streamedBytes / 2 ** 20)} MiB of endless bodies sent`,
      );
    } finally {
      clearInterval(sampler);
    }
  });
});
