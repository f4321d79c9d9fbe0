/** The event recorder against a stand-in apiserver: what it cannot write is dropped and counted. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubernetesEventRecorder, type EventDropReason } from '../../../src/controllers/event-recorder.js';
import { KubeClient } from '../../../src/kube/client.js';
import { silentLogger } from '../runtime/helpers.js';
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

function recorder(options: { maxPending?: number } = {}) {
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
  it('writes events one at a time, in order', async () => {
    const events = recorder();
    for (const uid of ['a', 'b', 'c']) events.record(target(uid), 'Normal', 'Synced', 'ok');
    await events.flush();
    expect(fake.requests.map((r) => r.method)).toEqual(['POST', 'POST', 'POST']);
    expect(dropped).toEqual([]);
  });

  it('at close, drops what a hung apiserver has not taken by the deadline, and records no more', async () => {
    fake.hang.add(EVENTS_PATH);
    const events = recorder();
    for (const uid of ['a', 'b', 'c']) events.record(target(uid), 'Warning', 'Failed', 'boom');
    await new Promise((resolve) => setTimeout(resolve, 50));
    // One write in flight (hung), two waiting.
    expect(fake.requests).toHaveLength(1);
    const closing = events.close(200);
    let closed = false;
    void closing.then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(false);
    await closing;
    expect(dropped).toEqual(['shutdown', 'shutdown', 'shutdown']);
    events.record(target('d'), 'Normal', 'Synced', 'late');
    expect(dropped).toHaveLength(4);
    expect(fake.requests).toHaveLength(1);
  });

  it('drops new events while too many wait', async () => {
    fake.hang.add(EVENTS_PATH);
    const events = recorder({ maxPending: 2 });
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
