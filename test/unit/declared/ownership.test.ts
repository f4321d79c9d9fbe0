/**
 * The pieces that say whose a Logto role or API resource is: the marker in its text, the object of
 * the cluster holding a token, what grants allow, and the identity decision built on identity.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  claimOfDeclared,
  identifyDeclared,
  identifyDeclaredForDeletion,
} from '../../../src/controllers/declared/identity.js';
import { mayUse } from '../../../src/controllers/declared/grants.js';
import { SealHolders } from '../../../src/controllers/declared/holders.js';
import { MARKER_LENGTH, readMarker, sealOf, withMarker } from '../../../src/controllers/declared/marker.js';
import type { DeclaredObject } from '../../../src/controllers/declared/external.js';

const TOKEN = 'AbCdEfGhIjKlMnOp';

describe('the marker', () => {
  it('ends a text and reads back, leaving the text as it was', () => {
    const marked = withMarker('Orders API', TOKEN);
    expect(marked).toBe(`Orders API [logto-operator:${TOKEN}]`);
    expect(marked.length - 'Orders API'.length).toBe(MARKER_LENGTH);
    expect(readMarker(marked)).toEqual({ text: 'Orders API', seal: TOKEN });
  });
  it('reads no token from a text without one, from null, or from a look-alike in the middle', () => {
    expect(readMarker('Orders API')).toEqual({ text: 'Orders API' });
    expect(readMarker(null)).toEqual({ text: '' });
    expect(readMarker(`a [logto-operator:${TOKEN}] b`).seal).toBeUndefined();
    expect(readMarker('a [logto-operator:bad token!]').seal).toBeUndefined();
  });
});

const object = (
  uid: string,
  namespace: string,
  name: string,
  token?: string,
  createdAt = '2026-01-01T00:00:00Z',
) => ({
  metadata: {
    uid,
    namespace,
    name,
    creationTimestamp: createdAt,
    ...(token ? { annotations: { 'logto.io/create-token': token } } : {}),
  },
});

describe('seal holders', () => {
  const seal = (namespace: string, name: string, token = TOKEN) => sealOf(namespace, name, token);
  it('name the object whose namespace, name and token seal to a marker, follow it and forget it', () => {
    const holders = new SealHolders();
    holders.handlers.onAdd(object('u1', 'team-a', 'orders', TOKEN));
    expect(holders.holder(seal('team-a', 'orders'))).toEqual({
      uid: 'u1',
      namespace: 'team-a',
      name: 'orders',
    });
    expect(holders.holder(TOKEN)).toBeUndefined();
    holders.handlers.onUpdate(
      object('u1', 'team-a', 'orders', TOKEN),
      object('u1', 'team-a', 'orders', 'other-token-1234'),
    );
    expect(holders.holder(seal('team-a', 'orders'))).toBeUndefined();
    expect(holders.holder(seal('team-a', 'orders', 'other-token-1234'))?.uid).toBe('u1');
    holders.handlers.onDelete(object('u1', 'team-a', 'orders', 'other-token-1234'));
    expect(holders.holder(seal('team-a', 'orders', 'other-token-1234'))).toBeUndefined();
    expect(holders.holder(undefined)).toBeUndefined();
  });
  it('give a copied token nothing: another namespace or name seals it to another value', () => {
    const holders = new SealHolders();
    holders.handlers.onAdd(object('copy', 'team-b', 'orders', TOKEN, '2025-06-01T00:00:00Z'));
    holders.handlers.onAdd(object('copy-2', 'team-a', 'other', TOKEN, '2025-06-01T00:00:00Z'));
    holders.handlers.onAdd(object('original', 'team-a', 'orders', TOKEN, '2026-01-01T00:00:00Z'));
    expect(holders.holder(seal('team-a', 'orders'))?.uid).toBe('original');
    holders.handlers.onDelete(object('original', 'team-a', 'orders', TOKEN));
    expect(holders.holder(seal('team-a', 'orders'))).toBeUndefined();
    expect(new Set([seal('team-a', 'orders'), seal('team-b', 'orders'), seal('team-a', 'other')]).size).toBe(
      3,
    );
  });
  it("a restored object (same namespace, name and token) holds its predecessor's seal", () => {
    const holders = new SealHolders();
    holders.handlers.onAdd(object('original', 'team-a', 'orders', TOKEN));
    holders.handlers.onAdd(object('restored', 'team-a', 'orders', TOKEN));
    expect(holders.holder(seal('team-a', 'orders'))?.uid).toBe('restored');
    // The predecessor's deletion, seen after the restore, leaves the seal with the restored object.
    holders.handlers.onDelete(object('original', 'team-a', 'orders', TOKEN));
    expect(holders.holder(seal('team-a', 'orders'))?.uid).toBe('restored');
  });
});

describe('grants', () => {
  const owner = { kind: 'LogtoRole' as const, namespace: 'team-a', name: 'orders-reader' };
  const grant = (
    from: string[],
    to: Array<{ kind: string; name: string; scopes?: string[] }>,
    namespace = 'team-a',
  ) => ({
    metadata: { namespace },
    spec: { from: from.map((ns) => ({ namespace: ns })), to },
  });
  it("a namespace uses its own; another only what a grant of the owner's namespace names for it", () => {
    expect(mayUse({ namespace: 'team-a', owner }, [])).toBe(true);
    expect(mayUse({ namespace: 'team-b', owner }, [])).toBe(false);
    expect(
      mayUse({ namespace: 'team-b', owner }, [
        grant(['team-b'], [{ kind: 'LogtoRole', name: 'orders-reader' }]),
      ]),
    ).toBe(true);
    expect(
      mayUse({ namespace: 'team-c', owner }, [
        grant(['team-b'], [{ kind: 'LogtoRole', name: 'orders-reader' }]),
      ]),
    ).toBe(false);
    // Another object, another kind, or a grant in another namespace gives nothing.
    expect(
      mayUse({ namespace: 'team-b', owner }, [grant(['team-b'], [{ kind: 'LogtoRole', name: 'admin' }])]),
    ).toBe(false);
    expect(
      mayUse({ namespace: 'team-b', owner }, [
        grant(['team-b'], [{ kind: 'LogtoApiResource', name: 'orders-reader' }]),
      ]),
    ).toBe(false);
    expect(
      mayUse({ namespace: 'team-b', owner }, [
        grant(['team-b'], [{ kind: 'LogtoRole', name: 'orders-reader' }], 'team-b'),
      ]),
    ).toBe(false);
  });
  it('scopes of an API resource: every scope wanted must be granted (together), none listed means all', () => {
    const api = { kind: 'LogtoApiResource' as const, namespace: 'team-a', name: 'orders' };
    const some = [
      grant(['team-b'], [{ kind: 'LogtoApiResource', name: 'orders', scopes: ['read'] }]),
      grant(['team-b'], [{ kind: 'LogtoApiResource', name: 'orders', scopes: ['write'] }]),
    ];
    expect(mayUse({ namespace: 'team-b', owner: api, scopes: ['read', 'write'] }, some)).toBe(true);
    expect(mayUse({ namespace: 'team-b', owner: api, scopes: ['read', 'delete'] }, some)).toBe(false);
    const all = [grant(['team-b'], [{ kind: 'LogtoApiResource', name: 'orders' }])];
    expect(mayUse({ namespace: 'team-b', owner: api, scopes: ['anything'] }, all)).toBe(true);
  });
  it('a grant being deleted gives nothing', () => {
    const leaving = { ...grant(['team-b'], [{ kind: 'LogtoRole', name: 'orders-reader' }]) };
    (leaving.metadata as Record<string, unknown>)['deletionTimestamp'] = '2026-01-01T00:00:00Z';
    expect(mayUse({ namespace: 'team-b', owner }, [leaving])).toBe(false);
  });
});

describe('whose a role or API resource is (identity.ts, fed by key and token)', () => {
  const SEAL = sealOf('team-a', 'orders-reader', TOKEN);
  const describeRole = { byKey: 'role "orders-reader"', kind: 'LogtoRole', noun: 'role' };
  const resource = (
    annotations: Record<string, string> = {},
    status: Record<string, unknown> = {},
  ): DeclaredObject =>
    ({
      metadata: { uid: 'u1', namespace: 'team-a', name: 'orders-reader', annotations },
      spec: {},
      status,
    }) as DeclaredObject;
  const withToken = {
    'logto.io/create-token': TOKEN,
    'logto.io/external-create-pending': '2026-01-01T00:00:00Z',
  };
  const holders = (...entries: Array<[string, string, string, string]>) => {
    const index = new SealHolders();
    for (const [uid, namespace, name, token] of entries)
      index.handlers.onAdd(object(uid, namespace, name, token));
    return index;
  };

  it('creates when nothing has the key', () => {
    const claim = claimOfDeclared(resource(), 'roleId', '');
    expect(identifyDeclared(claim, holders(), undefined, undefined, false, describeRole)).toEqual({
      decision: 'create',
    });
  });
  it('finds a lost create by its key and token at once, and records it', () => {
    const claim = claimOfDeclared(resource(withToken), 'roleId', '');
    const found = identifyDeclared(
      claim,
      holders(),
      undefined,
      { id: 'r1', token: SEAL },
      false,
      describeRole,
    );
    expect(found).toEqual({ decision: 'use', id: 'r1', record: true });
  });
  it('uses what status records without recording it again', () => {
    const claim = claimOfDeclared(resource(withToken, { roleId: 'r1' }), 'roleId', '');
    const named = { id: 'r1', token: SEAL };
    expect(
      identifyDeclared(
        claim,
        holders(['u1', 'team-a', 'orders-reader', TOKEN]),
        named,
        named,
        false,
        describeRole,
      ),
    ).toEqual({
      decision: 'use',
      id: 'r1',
      record: false,
    });
  });
  it("refuses another declaration's object, and one made outside the cluster unless the policy lets it be taken over", () => {
    const claim = claimOfDeclared(resource({ 'logto.io/create-token': 'mine-mine-mine-1' }), 'roleId', '');
    const theirs = identifyDeclared(
      claim,
      holders(['u2', 'team-b', 'x', TOKEN]),
      undefined,
      { id: 'r1', token: sealOf('team-b', 'x', TOKEN) },
      true,
      describeRole,
    );
    expect(theirs).toMatchObject({ decision: 'refuse', reason: 'DeclarationConflict' });
    expect(theirs.decision === 'refuse' && theirs.message).not.toContain('team-b');
    // A token nobody in the cluster holds: another cluster's, or a deleted object's.
    expect(
      identifyDeclared(claim, holders(), undefined, { id: 'r1', token: SEAL }, true, describeRole),
    ).toMatchObject({
      decision: 'refuse',
    });
    const unmarked = { id: 'r1' };
    expect(identifyDeclared(claim, holders(), undefined, unmarked, false, describeRole)).toMatchObject({
      decision: 'refuse',
      reason: 'DeclarationConflict',
    });
    expect(identifyDeclared(claim, holders(), undefined, unmarked, true, describeRole)).toEqual({
      decision: 'adopt',
      id: 'r1',
    });
  });
  it("a copied token and a forged external-name do not take another namespace's declaration", () => {
    const copy = {
      ...resource({ 'logto.io/create-token': TOKEN, 'logto.io/external-name': 'r1' }),
    } as DeclaredObject;
    copy.metadata = { ...copy.metadata, uid: 'copy', namespace: 'team-b' };
    const claim = claimOfDeclared(copy, 'roleId', '');
    const index = holders(['original', 'team-a', 'orders-reader', TOKEN]);
    index.handlers.onAdd(object('copy', 'team-b', 'orders-reader', TOKEN, '2025-06-01T00:00:00Z'));
    const original = { id: 'r1', token: SEAL };
    expect(identifyDeclared(claim, index, original, original, true, describeRole)).toMatchObject({
      decision: 'refuse',
    });
    expect(identifyDeclaredForDeletion(claim, index, original, original)).toBeUndefined();
  });
  it('a take-over recorded but not yet marked goes on; an annotation naming a stranger is refused', () => {
    const claim = claimOfDeclared(
      resource({ 'logto.io/external-name': 'r1', 'logto.io/create-token': TOKEN }),
      'roleId',
      '',
    );
    expect(identifyDeclared(claim, holders(), { id: 'r1' }, { id: 'r1' }, true, describeRole)).toEqual({
      decision: 'adopt',
      id: 'r1',
    });
    expect(identifyDeclared(claim, holders(), { id: 'r1' }, { id: 'r1' }, false, describeRole)).toMatchObject(
      {
        decision: 'refuse',
        reason: 'AdoptionRefused',
      },
    );
  });
  it('recreates what is gone, and deletes only its own', () => {
    const claim = claimOfDeclared(resource(withToken, { roleId: 'r1' }), 'roleId', '');
    expect(identifyDeclared(claim, holders(), 'gone', undefined, false, describeRole)).toEqual({
      decision: 'create',
      replacing: 'r1',
    });
    const own = holders(['u1', 'team-a', 'orders-reader', TOKEN]);
    expect(identifyDeclaredForDeletion(claim, own, { id: 'r1', token: SEAL }, undefined)).toBe('r1');
    expect(identifyDeclaredForDeletion(claim, own, 'gone', undefined)).toBeUndefined();
    const lost = claimOfDeclared(resource(withToken), 'roleId', '');
    expect(identifyDeclaredForDeletion(lost, own, undefined, { id: 'r2', token: SEAL })).toBe('r2');
    expect(
      identifyDeclaredForDeletion(lost, own, undefined, { id: 'r3', token: 'someone-elses-12' }),
    ).toBeUndefined();
    expect(identifyDeclaredForDeletion(lost, own, undefined, { id: 'r4' })).toBeUndefined();
  });
});
