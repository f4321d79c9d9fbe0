// Faults that strike after the request took effect: the client cannot tell whether its call happened.
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

const applicationCount = () => emulator.state.applications.size;

describe('faults after handling', () => {
  it('dropAnswer commits the create and resets the connection', async () => {
    const before = applicationCount();
    emulator.faults.inject({ method: 'POST', path: '/api/applications', dropAnswer: true, times: 1 });
    await expect(
      api.request('POST', '/api/applications', { body: { name: 'x', type: 'SPA' } }),
    ).rejects.toThrow();
    expect(applicationCount()).toBe(before + 1);
    expect(emulator.calls.count({ method: 'POST', route: '/api/applications', status: 0 })).toBe(1);
    // The rule was used up: the next create answers.
    expect(
      (await api.request('POST', '/api/applications', { body: { name: 'y', type: 'SPA' } })).status,
    ).toBe(200);
  });

  it('holdAnswerMs commits the create before the answer is sent', async () => {
    const before = applicationCount();
    emulator.faults.inject({ method: 'POST', path: '/api/applications', holdAnswerMs: 300, times: 1 });
    const pending = api.request('POST', '/api/applications', { body: { name: 'held', type: 'SPA' } });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(applicationCount()).toBe(before + 1);
    expect((await pending).status).toBe(200);
  });
});
