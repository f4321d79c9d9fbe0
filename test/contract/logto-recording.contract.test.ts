// The recording helper (test/support/logto-recording) against the emulator: a recording is the
// same from run to run (ids, names and secrets never enter it), and a changed answer shows up.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startLogtoEmulator, type LogtoEmulator } from '../emulator/emulator.js';
import { compareRecordings, shapeOf, type Recording } from '../support/logto-recording/recording.js';
import { recordLogto } from '../support/logto-recording/sequence.js';

let emulator: LogtoEmulator;

beforeAll(async () => {
  emulator = await startLogtoEmulator();
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

const record = (): Promise<Recording> =>
  recordLogto({
    endpoint: emulator.endpoint,
    clientId: emulator.credentials.clientId,
    clientSecret: emulator.credentials.clientSecret,
  });

describe('recording Management API calls', () => {
  it('records the same answers twice in a row, and cleans up what it created', async () => {
    const applicationsBefore = emulator.state.applications.size;
    const rolesBefore = emulator.state.roles.size;
    const first = await record();
    const second = await record();
    expect(compareRecordings(first, second)).toEqual([]);
    expect(emulator.state.applications.size).toBe(applicationsBefore);
    expect(emulator.state.roles.size).toBe(rolesBefore);
  });

  it('covers the Applications operations, access control and the token endpoint', async () => {
    const recording = await record();
    const paths = new Set(recording.calls.map(({ path }) => path));
    for (const path of [
      '/oidc/token',
      '/api/applications',
      '/api/applications/{id}',
      '/api/applications/{id}/custom-data',
      '/api/applications/{id}/secrets',
      '/api/applications/{id}/secrets/{name}',
      '/api/applications/{id}/roles',
      '/api/applications/{id}/user-consent-scopes',
      '/api/applications/{id}/sign-in-experience',
      '/api/applications/{id}/access-control',
    ]) {
      expect(paths, path).toContain(path);
    }
    expect(new Set(recording.calls.map(({ step }) => step)).size).toBe(recording.calls.length);
  });

  it('keeps no secret, token or id in the recording', async () => {
    const recording = await record();
    const text = JSON.stringify(recording);
    expect(text).not.toContain(emulator.credentials.clientSecret);
    expect(text).not.toContain(emulator.credentials.clientId);
    // The run made apps and read their secrets: those answers must not be in the recording either.
    expect(emulator.state.credentialsAnswered.size).toBeGreaterThan(0);
    for (const value of emulator.state.credentialsAnswered) expect(text).not.toContain(value);
  });

  it('detects a changed answer', async () => {
    const expected = await record();
    emulator.reset();
    emulator.faults.inject({ method: 'GET', path: '/api/applications/*', status: 503, times: 1 });
    const actual = await record();
    const differences = compareRecordings(expected, actual);
    expect(differences).toContainEqual({
      step: 'applications.get',
      what: 'status',
      expected: 200,
      actual: 503,
    });
    expect(differences).toContainEqual(
      expect.objectContaining({ step: 'applications.get', what: 'code', expected: undefined }),
    );
    expect(differences).toContainEqual(expect.objectContaining({ step: 'applications.get', what: 'shape' }));
  });

  it('detects missing and unexpected calls', () => {
    const call = { step: 'a', method: 'GET', path: '/x', status: 200, shape: 'empty' };
    const differences = compareRecordings(
      { version: 1, calls: [call] },
      { version: 1, calls: [{ ...call, step: 'b' }] },
    );
    expect(differences).toEqual([
      { step: 'a', what: 'missing' },
      { step: 'b', what: 'unexpected' },
    ]);
  });

  it('shapes values by keys and types, arrays by their distinct item shapes', () => {
    expect(shapeOf({ b: [1, 2, 'x'], a: null, c: { d: true } })).toEqual({
      a: 'null',
      b: ['number', 'string'],
      c: { d: 'boolean' },
    });
    expect(shapeOf([])).toEqual([]);
  });
});
