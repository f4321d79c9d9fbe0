import { describe, expect, it } from 'vitest';
import {
  desiredSecret,
  isOwnedBy,
  secretUpToDate,
} from '../../../src/controllers/logto-application/credentials-secret.js';
import { resource } from './fixtures.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('credentials Secret', () => {
  it('uses the SDK-sample key names and the resource as controller owner', () => {
    const secret = desiredSecret(resource({ secret: { name: 'web-creds' } }), {
      endpoint: 'https://logto.example',
      appId: 'app1',
      appSecret: 's3cr3t',
    });
    expect(secret.metadata.name).toBe('web-creds');
    expect(secret.data).toEqual({
      LOGTO_ENDPOINT: b64('https://logto.example'),
      LOGTO_APP_ID: b64('app1'),
      LOGTO_APP_SECRET: b64('s3cr3t'),
    });
    expect(secret.metadata.ownerReferences[0]).toMatchObject({
      uid: 'uid-1',
      controller: true,
      kind: 'LogtoApplication',
    });
  });

  it('has no LOGTO_APP_SECRET for types without secrets', () => {
    const secret = desiredSecret(resource({ type: 'SPA' }), { endpoint: 'https://l', appId: 'a' });
    expect(Object.keys(secret.data)).toEqual(['LOGTO_ENDPOINT', 'LOGTO_APP_ID']);
    expect(secret.metadata.name).toBe('web');
  });

  it('treats only a controller reference with our UID as ownership', () => {
    const r = resource();
    expect(isOwnedBy({ metadata: { ownerReferences: [{ uid: 'uid-1', controller: true }] } }, r)).toBe(true);
    expect(isOwnedBy({ metadata: { ownerReferences: [{ uid: 'uid-1' }] } }, r)).toBe(false);
    expect(isOwnedBy({ metadata: { ownerReferences: [{ uid: 'other', controller: true }] } }, r)).toBe(false);
    expect(isOwnedBy({}, r)).toBe(false);
  });

  it('is up to date when our keys and labels match, whatever others added', () => {
    const desired = desiredSecret(resource(), { endpoint: 'https://l', appId: 'a', appSecret: 's' });
    const existing = {
      metadata: { labels: { ...desired.metadata.labels, team: 'x' } },
      data: { ...desired.data, EXTRA: b64('x') },
    };
    expect(secretUpToDate(existing, desired)).toBe(true);
    expect(
      secretUpToDate({ ...existing, data: { ...desired.data, LOGTO_APP_SECRET: b64('old') } }, desired),
    ).toBe(false);
  });
});
