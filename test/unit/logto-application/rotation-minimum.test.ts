import { describe, expect, it } from 'vitest';
import { LogtoConnector } from '../../../src/controllers/logto-application/logto-external.js';
import type { LogtoApplicationsApi } from '../../../src/controllers/logto-application/ports.js';
import { resource } from './fixtures.js';

/** A Logto client that fails the test on any call: the check comes before Logto. */
const noLogto = new Proxy(
  {},
  {
    get: (_, name) => () => {
      throw new Error(`unexpected Logto call ${String(name)}`);
    },
  },
) as unknown as LogtoApplicationsApi;

const connector = (minRotationPeriodMs?: number) =>
  new LogtoConnector({
    logto: noLogto,
    events: { record: () => {} },
    settings: {
      publicEndpoint: 'https://logto.example',
      commitWindowMs: 30_000,
      ...(minRotationPeriodMs !== undefined ? { minRotationPeriodMs } : {}),
    },
  });

describe('--min-rotation-period', () => {
  it('refuses a shorter rotation.every as InvalidSpec before any Logto call', async () => {
    const failure = await connector(3_600_000)
      .connect(resource({ rotation: { every: '10m' } }))
      .catch((e: unknown) => e);
    expect(failure).toMatchObject({ reason: 'InvalidSpec' });
    expect((failure as Error).message).toContain('shorter than');
  });

  it('accepts the minimum itself, and anything without a minimum', async () => {
    await expect(
      connector(3_600_000).connect(resource({ rotation: { every: '1h' } })),
    ).resolves.toBeDefined();
    await expect(connector().connect(resource({ rotation: { every: '3s' } }))).resolves.toBeDefined();
  });
});
