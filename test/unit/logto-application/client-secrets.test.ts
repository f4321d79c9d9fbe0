/**
 * Rotation read from Logto: with the status of a resource lost, a pass publishes the same secret,
 * keeps the same secrets in their grace period (same deadlines) and does not act on a rotate-now
 * token twice.
 */
import { describe, expect, it } from 'vitest';
import type { Application, ApplicationSecret } from '../../../src/api/schemas.js';
import {
  convergeClientSecrets,
  OPERATOR_SECRET_PREFIX,
  planDeclaredSecrets,
  planPublication,
  planRotation,
  ROTATE_NOW_ANNOTATION,
} from '../../../src/controllers/logto-application/client-secrets.js';
import type { LogtoApplicationsApi } from '../../../src/controllers/logto-application/ports.js';
import type { LogtoApplication, LogtoApplicationStatus } from '../../../src/crd/logto-application.js';
import { resource as fixture } from './fixtures.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-29T10:00:00Z');

/** Secrets of one application, behind the three calls rotation makes. */
function fakeLogto(initial: ApplicationSecret[]) {
  const secrets = [...initial];
  const writes: string[] = [];
  let clock = T0;
  const api = {
    listApplicationSecrets: () => Promise.resolve(structuredClone(secrets)),
    createApplicationSecret: (_id: string, body: { name: string }) => {
      const made = { ...secret(body.name, ++clock), value: `value-of-${body.name}` };
      secrets.push(made);
      writes.push(`create ${body.name}`);
      return Promise.resolve(made);
    },
    deleteApplicationSecret: (_id: string, name: string) => {
      secrets.splice(
        secrets.findIndex((s) => s.name === name),
        1,
      );
      writes.push(`delete ${name}`);
      return Promise.resolve();
    },
  } as unknown as LogtoApplicationsApi;
  return { api, secrets, writes, setClock: (ms: number) => (clock = ms) };
}

function secret(name: string, createdAt: number): ApplicationSecret {
  return {
    name,
    value: `value-of-${name}`,
    createdAt,
    expiresAt: null,
    tenantId: 't',
    applicationId: 'app-1',
  };
}

const application = { id: 'app-1', createdAt: T0 - HOUR, secret: '' } as unknown as Application;

function withState(status?: LogtoApplicationStatus, annotations?: Record<string, string>): LogtoApplication {
  const r = fixture({ type: 'MachineToMachine', rotation: { gracePeriod: '1h' } });
  return {
    ...r,
    metadata: { ...r.metadata, ...(annotations ? { annotations } : {}) },
    ...(status ? { status } : {}),
  };
}

describe('client secrets read from Logto', () => {
  it('a rotate-now publishes a new secret once; with status lost, the same state follows and nothing is made', async () => {
    const logto = fakeLogto([secret('Default secret', T0 - HOUR)]);
    const annotations = { [ROTATE_NOW_ANNOTATION]: 'ticket-1' };
    const now = new Date(T0 + 1000);
    const first = await convergeClientSecrets(logto.api, withState(undefined, annotations), application, now);
    expect(first.rotation).toMatchObject({ from: 'Default secret', reasons: ['requested'] });
    expect(logto.writes).toEqual([expect.stringMatching(/^create logto-operator-/)]);

    // The same pass again, first with its status, then with status wiped: no second rotation.
    const status = { ...first.status };
    for (const state of [withState(status, annotations), withState(undefined, annotations)]) {
      const again = await convergeClientSecrets(logto.api, state, application, now);
      expect(again.published).toEqual(first.published);
      expect(again.status).toEqual(first.status);
      expect(again.rotation).toBeUndefined();
    }
    expect(logto.writes).toHaveLength(1);
  });

  it('retires a replaced secret after the grace period counted from its successor, status or not', async () => {
    const logto = fakeLogto([
      secret('Default secret', T0 - 2 * HOUR),
      secret('logto-operator-20261129t100000z', T0),
      secret('console-made', T0 - HOUR),
    ]);
    const during = await convergeClientSecrets(logto.api, withState(), application, new Date(T0 + HOUR / 2));
    expect(during.published.name).toBe('logto-operator-20261129t100000z');
    expect(during.status.rotation?.retiringSecrets).toEqual([
      { name: 'Default secret', deleteAfter: '2026-11-29T11:00:00Z' },
    ]);
    expect(during.afterPublish).toHaveLength(0);

    const after = await convergeClientSecrets(logto.api, withState(), application, new Date(T0 + 2 * HOUR));
    expect(after.status.rotation?.retiringSecrets).toBeUndefined();
    for (const retire of after.afterPublish) await retire();
    // Only the replaced one goes: a secret made in the console is never retired.
    expect(logto.secrets.map((s) => s.name).sort()).toEqual([
      'console-made',
      'logto-operator-20261129t100000z',
    ]);
  });

  it('a new rotate-now token rotates again', async () => {
    const logto = fakeLogto([secret('Default secret', T0 - HOUR)]);
    const now = new Date(T0 + 1000);
    await convergeClientSecrets(
      logto.api,
      withState(undefined, { [ROTATE_NOW_ANNOTATION]: 'a' }),
      application,
      now,
    );
    logto.setClock(T0 + 5000);
    const second = await convergeClientSecrets(
      logto.api,
      withState(undefined, { [ROTATE_NOW_ANNOTATION]: 'b' }),
      application,
      new Date(T0 + 6000),
    );
    expect(second.rotation?.reasons).toEqual(['requested']);
    expect(logto.writes.filter((w) => w.startsWith('create'))).toHaveLength(2);
  });
});

describe('a pass on a stale cached resource', () => {
  it('keeps the secret a rotation published although the status it reads still names the old one', async () => {
    const logto = fakeLogto([secret('Default secret', T0 - HOUR)]);
    const annotations = { [ROTATE_NOW_ANNOTATION]: 'ticket-1' };
    const now = new Date(T0 + 1000);
    const before = await convergeClientSecrets(logto.api, withState(undefined, {}), application, now);
    const rotated = await convergeClientSecrets(
      logto.api,
      withState(before.status, annotations),
      application,
      now,
    );
    // The informer has not yet delivered the status the rotation wrote.
    const stale = await convergeClientSecrets(
      logto.api,
      withState(before.status, annotations),
      application,
      now,
    );
    expect(stale.published).toEqual(rotated.published);
    expect(logto.writes.filter((w) => w.startsWith('create'))).toHaveLength(1);
  });
});

describe('client secret plans (pure)', () => {
  it('declared secrets: creates the missing, replaces the expired or changed, deletes the dropped', () => {
    const r = withState({ managedSecrets: ['ci', 'dropped', 'gone'] });
    r.spec.secrets = [{ name: 'ci' }, { name: 'deploy', expiresAt: '2027-01-01T00:00:00Z' }, { name: 'ok' }];
    const expired = { ...secret('ci', T0 - HOUR), expiresAt: T0 - 1 };
    const plan = planDeclaredSecrets(r, [expired, secret('ok', T0), secret('dropped', T0)], T0);
    expect(plan).toEqual({
      create: [
        { name: 'ci', replace: true },
        { name: 'deploy', expiresAt: Date.parse('2027-01-01T00:00:00Z'), replace: false },
      ],
      // 'gone' no longer exists in Logto: nothing to delete.
      delete: ['dropped'],
    });
  });

  it('rotation: nothing to do for a fresh published secret; a rotate-now names a tagged new secret', () => {
    const secrets = [secret('Default secret', T0 - HOUR)];
    const now = new Date(T0);
    expect(planRotation(withState(), secrets, application, now)).toEqual({
      current: { ...secrets[0] },
    });
    const requested = planRotation(
      withState(undefined, { [ROTATE_NOW_ANNOTATION]: 'ticket-1' }),
      secrets,
      application,
      now,
    );
    expect(requested.rotate).toMatchObject({
      reasons: ['requested'],
      create: expect.stringMatching(new RegExp(`^${OPERATOR_SECRET_PREFIX}20261129t100000z-r[0-9a-f]{10}$`)),
    });
  });

  it('rotation: a secret an interrupted rotation made is published, not made again', () => {
    const r = withState({ publishedSecret: 'Default secret' });
    r.spec.rotation = { every: '1h', gracePeriod: '1h' };
    const made = secret(`${OPERATOR_SECRET_PREFIX}x`, T0 - HOUR / 2);
    const old = secret('Default secret', T0 - 2 * HOUR);
    // The newest operator-made secret is published first; it is not yet due.
    expect(planRotation(r, [old, made], application, new Date(T0)).rotate).toBeUndefined();
  });

  it('publication: retires what its grace period has passed, reports the rest with deadlines', () => {
    const successor = secret(`${OPERATOR_SECRET_PREFIX}b`, T0);
    const secrets = [secret('Default secret', T0 - HOUR), successor];
    const during = planPublication(withState(), secrets, application, successor, new Date(T0 + HOUR / 2));
    expect(during.retire).toEqual([]);
    expect(during.status.rotation?.retiringSecrets).toEqual([
      { name: 'Default secret', deleteAfter: '2026-11-29T11:00:00Z' },
    ]);
    expect(during.dueInMs).toBe(HOUR / 2);
    const after = planPublication(withState(), secrets, application, successor, new Date(T0 + 2 * HOUR));
    expect(after.retire).toEqual(['Default secret']);
    expect(after.status).toEqual({
      publishedSecret: successor.name,
      rotation: { lastRotationTime: '2026-11-29T10:00:00Z' },
    });
  });
});
