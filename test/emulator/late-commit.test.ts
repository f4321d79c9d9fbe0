// A create whose answer is lost and whose commit lands later (a slow Logto behind a proxy that gave up).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startLogtoEmulator, type LogtoEmulator } from './emulator.js';
import { EmulatorApi } from './harness.js';

let emulator: LogtoEmulator;
let api: EmulatorApi;

beforeAll(async () => {
  emulator = await startLogtoEmulator();
  api = new EmulatorApi(emulator);
});
afterAll(() => emulator.close());

const named = async (name: string) => {
  const { body } = await api.request('GET', '/api/applications', { query: { page: 1, page_size: 100 } });
  return (body as { id: string; name: string }[]).filter((app) => app.name === name);
};

const until = async (check: () => Promise<boolean>) => {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('commitLateMs', () => {
  it('resets the connection, shows nothing, then commits after the delay', async () => {
    emulator.faults.inject({ method: 'POST', path: '/api/applications', commitLateMs: 300, times: 1 });
    await expect(
      api.request('POST', '/api/applications', { body: { name: 'late', type: 'SPA' } }),
    ).rejects.toThrow();
    expect(await named('late')).toEqual([]);
    expect(emulator.faults.lateCommits.pending).toBe(1);
    expect(emulator.calls.list({ method: 'POST', route: '/api/applications' }).at(-1)).toMatchObject({
      status: 0,
      fault: 'late-commit',
    });
    await until(async () => (await named('late')).length === 1);
    const [app] = await named('late');
    expect((await api.request('GET', `/api/applications/${app!.id}`)).status).toBe(200);
    expect(emulator.faults.lateCommits.pending).toBe(0);
  });

  it('answers 504 when asked, and commits at once through the control route', async () => {
    emulator.faults.inject({
      method: 'POST',
      path: '/api/applications',
      commitLateMs: 60_000,
      lateAnswer: 504,
      times: 1,
    });
    const answer = await api.request('POST', '/api/applications', { body: { name: 'proxy', type: 'SPA' } });
    expect(answer.status).toBe(504);
    expect(await named('proxy')).toEqual([]);
    const pending = await fetch(`${emulator.endpoint}/__emulator/late-commits`);
    expect(await pending.json()).toEqual({ pending: 1 });
    const committed = await fetch(`${emulator.endpoint}/__emulator/late-commits`, { method: 'POST' });
    expect(await committed.json()).toEqual({ committed: 1 });
    expect(await named('proxy')).toHaveLength(1);
    // The rule was used up: the next create answers.
    expect(
      (await api.request('POST', '/api/applications', { body: { name: 'next', type: 'SPA' } })).status,
    ).toBe(200);
  });

  it('never commits what a reset of the emulator forgot', async () => {
    emulator.faults.inject({ method: 'POST', path: '/api/applications', commitLateMs: 60_000, times: 1 });
    await expect(
      api.request('POST', '/api/applications', { body: { name: 'forgotten', type: 'SPA' } }),
    ).rejects.toThrow();
    // The reset answer came from the fault: the commit waits.
    expect(emulator.faults.lateCommits.pending).toBe(1);
    emulator.faults.clear();
    expect(emulator.faults.lateCommits.pending).toBe(0);
    expect(emulator.faults.lateCommits.commitNow()).toBe(0);
    expect(await named('forgotten')).toEqual([]);
  });

  it('refuses invalid settings', () => {
    expect(() => emulator.faults.inject({ commitLateMs: -1 })).toThrow(RangeError);
    expect(() => emulator.faults.inject({ commitLateMs: 1, lateAnswer: 502 as 504 })).toThrow(RangeError);
  });
});
