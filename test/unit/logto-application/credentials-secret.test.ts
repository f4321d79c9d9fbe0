import { describe, expect, it } from 'vitest';
import type { V1Secret } from '@kubernetes/client-node';
import {
  desiredSecret,
  isOwnedBy,
  secretUpToDate,
} from '../../../src/controllers/logto-application/credentials-secret.js';
import { digestAppliedSecret } from '../../../src/runtime/index.js';
import { resource } from './fixtures.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
/** A Secret as the operator's cache keeps it. */
const cached = digestAppliedSecret('logto-operator');

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
    const ref = { apiVersion: 'logto.io/v1alpha1', kind: 'LogtoApplication', name: 'web' };
    expect(
      isOwnedBy({ metadata: { ownerReferences: [{ ...ref, uid: 'uid-1', controller: true }] } }, r),
    ).toBe(true);
    expect(isOwnedBy({ metadata: { ownerReferences: [{ ...ref, uid: 'uid-1' }] } }, r)).toBe(false);
    expect(
      isOwnedBy({ metadata: { ownerReferences: [{ ...ref, uid: 'other', controller: true }] } }, r),
    ).toBe(false);
    expect(isOwnedBy({}, r)).toBe(false);
  });

  it('is up to date when our keys and labels match, whatever others added', () => {
    const desired = desiredSecret(resource(), { endpoint: 'https://l', appId: 'a', appSecret: 's' });
    const existing: V1Secret = {
      metadata: { labels: { ...desired.metadata.labels, team: 'x' } },
      data: { ...desired.data, EXTRA: b64('x') },
    };
    expect(secretUpToDate(cached(existing), desired)).toBe(true);
    expect(
      secretUpToDate(
        cached({ ...existing, data: { ...desired.data, LOGTO_APP_SECRET: b64('old') } }),
        desired,
      ),
    ).toBe(false);
  });

  it('keeps no value in the cached form, only digests that tell a changed value', () => {
    const desired = desiredSecret(resource(), { endpoint: 'https://l', appId: 'a', appSecret: 'top-secret' });
    const form = cached({ metadata: { labels: desired.metadata.labels }, data: desired.data });
    expect(JSON.stringify(form)).not.toContain(desired.data.LOGTO_APP_SECRET);
    expect(JSON.stringify(form)).not.toContain('top-secret');
    expect(Object.keys(form.dataDigests ?? {}).sort()).toEqual(Object.keys(desired.data).sort());
    expect(secretUpToDate(form, desired)).toBe(true);
    // A Secret with too many keys to digest is cached without digests: it compares as different.
    const { dataDigests: _digests, ...undigested } = form;
    expect(secretUpToDate(undigested, desired)).toBe(false);
    const rotated = desiredSecret(resource(), { endpoint: 'https://l', appId: 'a', appSecret: 'top-secreu' });
    expect(secretUpToDate(form, rotated)).toBe(false);
  });

  it('is stale when a key the operator applied before is no longer wanted (per managedFields)', () => {
    const desired = desiredSecret(resource(), { endpoint: 'https://l', appId: 'a', appSecret: 's' });
    const applied = (keys: string[]) => ({
      manager: 'logto-operator',
      operation: 'Apply',
      fieldsV1: { 'f:data': Object.fromEntries(keys.map((k) => [`f:${k}`, {}])) },
    });
    const withFields = (keys: string[]) =>
      cached({
        metadata: { labels: desired.metadata.labels, managedFields: [applied(keys)] },
        data: { ...desired.data, OLD_KEY: b64('x') },
      });
    expect(secretUpToDate(withFields(Object.keys(desired.data)), desired)).toBe(true);
    expect(secretUpToDate(withFields([...Object.keys(desired.data), 'OLD_KEY']), desired)).toBe(false);
  });

  it('renames keys, renders templates, and adds labels and annotations', () => {
    const r = resource({
      secret: {
        keys: { appId: 'CLIENT_ID', appSecret: 'CLIENT_SECRET' },
        templates: { OIDC_ISSUER: '{{ issuer }}', DSN: 'logto://{{appId}}:{{ appSecret }}@{{ endpoint }}' },
        labels: { team: 'a', 'app.kubernetes.io/managed-by': 'someone-else' },
        annotations: { note: 'x' },
      },
    });
    const secret = desiredSecret(r, { endpoint: 'https://auth.example', appId: 'id1', appSecret: 'sec' });
    const decoded = Object.fromEntries(
      Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
    );
    expect(decoded).toEqual({
      LOGTO_ENDPOINT: 'https://auth.example',
      CLIENT_ID: 'id1',
      CLIENT_SECRET: 'sec',
      OIDC_ISSUER: 'https://auth.example/oidc',
      DSN: 'logto://id1:sec@https://auth.example',
    });
    expect(secret.metadata.labels).toMatchObject({
      team: 'a',
      'app.kubernetes.io/managed-by': 'logto-operator',
    });
    expect(secret.metadata.annotations).toEqual({ note: 'x' });
  });
});
