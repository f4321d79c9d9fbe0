/** The event recorder against a stand-in apiserver: what it cannot write is dropped and counted. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubernetesEventRecorder, type EventDropReason } from '../../../src/controllers/event-recorder.js';
import { KubeClient } from '../../../src/kube/client.js';
import { silentLogger } from '../runtime/helpers.js';
import { eventually } from '../../support/eventually.js';
import { kubeConfigFor, startFakeApiServer, type FakeApiServer } from './fake-apiserver.js';

const EVENTS_PATH = '/api/v1/namespaces/ns/events';
const target = (uid: string) => ({
  apiVersion: 'logto.io/v1alpha1',
  kind: 'LogtoApplication',
  metadata: { name: `app-${uid}`, namespace: 'ns', uid },
});

let fake: FakeApiServer;
let client: KubeClient;
let dropped: EventDropReason[];

function recorder(options: { maxPending?: number; concurrency?: number } = {}) {
  return new KubernetesEventRecorder(client, silentLogger(), {
    component: 'test',
    onDropped: (reason) => dropped.push(reason),
    ...options,
  });
}

beforeEach(async () => {
  fake = await startFakeApiServer();
  client = new KubeClient(kubeConfigFor(fake.url), { requestTimeoutMs: 60_000 });
  dropped = [];
});
afterEach(async () => {
  await client.close();
  fake.server.closeAllConnections();
  await new Promise((resolve) => fake.server.close(resolve));
});

describe('KubernetesEventRecorder', () => {
  it("writes several objects' events at once, and each object's in order: a repeat patches the Event", async () => {
    fake.hang.add(EVENTS_PATH);
    const events = recorder();
    for (const uid of ['a', 'b', 'c']) events.record(target(uid), 'Normal', 'Synced', 'ok');
    events.record(target('a'), 'Normal', 'Synced', 'ok');
    // Three creates in flight at once; a's repeat waits for a's create.
    await eventually(() => fake.requests.length === 3, { what: 'three writes in flight' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.requests.map((r) => r.method)).toEqual(['POST', 'POST', 'POST']);
    await events.close(50);
  });

  it('writes a burst of a thousand events without dropping any', async () => {
    const events = recorder();
    for (let i = 0; i < 1_000; i++) events.record(target(`u${i}`), 'Normal', 'Created', 'created');
    for (let i = 0; i < 1_000; i += 100) events.record(target(`u${i}`), 'Normal', 'Created', 'created');
    await events.flush();
    expect(dropped).toEqual([]);
    expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(1_000);
    expect(fake.requests.filter((r) => r.method === 'PATCH')).toHaveLength(10);
  });

  it('at close, drops what a hung apiserver has not taken by the deadline, and records no more', async () => {
    fake.hang.add(EVENTS_PATH);
    const events = recorder();
    for (const uid of ['a', 'b', 'c']) events.record(target(uid), 'Warning', 'Failed', 'boom');
    // Three writes in flight (hung).
    await eventually(() => fake.requests.length === 3, { what: 'three writes in flight' });
    const closing = events.close(200);
    let closed = false;
    void closing.then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(false);
    await closing;
    expect(dropped).toEqual(['shutdown', 'shutdown', 'shutdown']);
    events.record(target('d'), 'Normal', 'Synced', 'late');
    expect(dropped).toHaveLength(4);
    expect(fake.requests).toHaveLength(3);
  });

  it('drops new events while too many wait', async () => {
    fake.hang.add(EVENTS_PATH);
    const events = recorder({ maxPending: 2, concurrency: 1 });
    for (const uid of ['a', 'b', 'c', 'd', 'e']) events.record(target(uid), 'Warning', 'Failed', 'boom');
    // 'a' is in flight, 'b' and 'c' wait, 'd' and 'e' are dropped.
    expect(dropped).toEqual(['overflow', 'overflow']);
    await events.close(50);
    expect(dropped).toEqual(['overflow', 'overflow', 'shutdown', 'shutdown', 'shutdown']);
  });

  it('counts a write the apiserver does not answer in time as failed, and goes on', async () => {
    await client.close();
    client = new KubeClient(kubeConfigFor(fake.url), { requestTimeoutMs: 100 });
    fake.hang.add(EVENTS_PATH);
    const events = recorder();
    events.record(target('a'), 'Warning', 'Failed', 'boom');
    await events.flush();
    expect(dropped).toEqual(['failed']);
  });
});
