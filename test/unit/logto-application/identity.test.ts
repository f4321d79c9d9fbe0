/**
 * The one decision of which Logto application is a resource's (identity.ts), row by row, each row
 * named after the situation it covers. The reconcile, deletion and sweep tests go through it.
 */
import { describe, expect, it } from 'vitest';
import {
  identify,
  identifyForDeletion,
  judgeForSweep,
  relation,
  stillClaimable,
  type Claim,
  type Findings,
  type Found,
  type Identity,
} from '../../../src/controllers/logto-application/identity.js';
import type { OwnershipMarker } from '../../../src/controllers/logto-application/ownership-marker.js';

const NOW = 1_000_000;
const WINDOW = 30_000;
const context = { now: NOW, commitWindowMs: WINDOW };

const claim = (overrides: Partial<Claim> = {}): Claim => ({
  uid: 'uid-1',
  namespace: 'team-a',
  name: 'web',
  cluster: '',
  ...overrides,
});
const marker = (overrides: Partial<OwnershipMarker> = {}): OwnershipMarker => ({
  uid: 'uid-1',
  namespace: 'team-a',
  name: 'web',
  ...overrides,
});
const app = (id: string, m?: Partial<OwnershipMarker>, createdAt = 1): Found => ({
  id,
  createdAt,
  ...(m ? { marker: marker(m) } : {}),
});

/** A create sent this long ago, with its token. */
const sent = (agoMs: number, token = 'tok-1'): Partial<Claim> => ({ createSentAt: NOW - agoMs, token });

type Row = [situation: string, claim: Claim, findings: Findings, expected: Partial<Identity>];

describe('identify: a reconcile pass', () => {
  const rows: Row[] = [
    ['a new resource, nothing sent: create', claim(), {}, { decision: 'create' }],
    [
      'the application the operator recorded, with its marker: use, nothing more to record',
      claim({ recorded: 'a1' }),
      { named: app('a1', {}) },
      { decision: 'use', id: 'a1', record: false },
    ],
    [
      'the operator recorded an unmarked application (adopted, or made by an older version): use',
      claim({ recorded: 'a1' }),
      { named: app('a1') },
      { decision: 'use', id: 'a1', record: false },
    ],
    [
      'an external name that disagrees with status: status wins, the annotation is written again',
      claim({ recorded: 'a1', externalName: 'a0' }),
      { named: app('a1', {}) },
      { decision: 'use', id: 'a1', record: true },
    ],
    [
      'crash after the create, status never written: no search before the commit window is over',
      claim(sent(1_000)),
      {},
      { decision: 'search', notBefore: NOW - 1_000 + WINDOW },
    ],
    [
      'handover: a new leader waits the same window, counted from the time on the resource',
      claim(sent(WINDOW - 1)),
      {},
      { decision: 'search', notBefore: NOW + 1 },
    ],
    [
      'answer lost or unreadable, window over: the search finds its own application, recorded now',
      claim(sent(WINDOW)),
      { searched: { complete: true, found: [app('a1', { token: 'tok-1' })] } },
      { decision: 'use', id: 'a1', record: true, duplicates: [] },
    ],
    [
      'two creates committed (one answer lost): the oldest is used, the other is a duplicate',
      claim(sent(WINDOW)),
      { searched: { complete: true, found: [app('a2', {}, 2), app('a1', {}, 1)] } },
      { decision: 'use', id: 'a1', duplicates: ['a2'] },
    ],
    [
      'status lost, the Secret names an application of ours: used without a scan',
      claim(sent(WINDOW)),
      { searched: { complete: false, found: [app('a1', {})] } },
      { decision: 'use', id: 'a1', record: true },
    ],
    [
      'a partial look found nothing: a full search, not a create',
      claim(sent(WINDOW)),
      { searched: { complete: false, found: [] } },
      { decision: 'search' },
    ],
    [
      'the search found nothing: nothing reached Logto, create',
      claim(sent(WINDOW)),
      { searched: { complete: true, found: [] } },
      { decision: 'create' },
    ],
    [
      'restore (annotations back, new UID): the predecessor application carries its token, take it back',
      claim({ uid: 'uid-new', externalName: 'a1', ...sent(3_600_000) }),
      { named: app('a1', { uid: 'uid-old', token: 'tok-1' }) },
      { decision: 'take-back', id: 'a1', as: 'restore' },
    ],
    [
      'restore found by search (no external name): taken back with the token, in an unnamed cluster too',
      claim({ uid: 'uid-new', ...sent(3_600_000) }),
      { searched: { complete: true, found: [app('a1', { uid: 'uid-old', token: 'tok-1' })] } },
      { decision: 'take-back', id: 'a1', as: 'restore' },
    ],
    [
      'a stranger reusing the namespace and name, naming the application in the annotation: refused',
      claim({ uid: 'uid-new', externalName: 'a1' }),
      { named: app('a1', { uid: 'uid-old', token: 'tok-1' }) },
      { decision: 'refuse', reason: 'AdoptionRefused' },
    ],
    [
      'a marker of an older version (no token) in an unnamed cluster: refused, nothing proves the restore',
      claim({ uid: 'uid-new', externalName: 'a1' }),
      { named: app('a1', { uid: 'uid-old' }) },
      { decision: 'refuse', reason: 'AdoptionRefused' },
    ],
    [
      'a marker of an older version in a named cluster: the cluster tells it apart, taken back',
      claim({ uid: 'uid-new', externalName: 'a1', cluster: 'east' }),
      { named: app('a1', { uid: 'uid-old', cluster: 'east' }) },
      { decision: 'take-back', as: 'restore' },
    ],
    [
      'adoption of an unmarked application: claimed (its marker written first)',
      claim({ adopt: 'a1' }),
      { named: app('a1') },
      { decision: 'take-back', id: 'a1', as: 'adoption' },
    ],
    [
      'a second adopter: the application carries the first adopter’s marker, refused',
      claim({ uid: 'uid-2', name: 'copy', adopt: 'a1' }),
      { named: app('a1', {}) },
      { decision: 'refuse', reason: 'AdoptionRefused' },
    ],
    [
      'an interrupted adoption (marker written, id not recorded): use, recorded now',
      claim({ adopt: 'a1' }),
      { named: app('a1', {}) },
      { decision: 'use', id: 'a1', record: true },
    ],
    [
      'an annotation naming an unmarked application, no adoption asked: refused',
      claim({ externalName: 'a1' }),
      { named: app('a1') },
      { decision: 'refuse', reason: 'AdoptionRefused' },
    ],
    [
      "another cluster's application of the same namespace and name: refused",
      claim({ externalName: 'a1', cluster: 'east' }),
      { named: app('a1', { uid: 'uid-old', cluster: 'west', token: 'tok-1' }) },
      { decision: 'refuse', reason: 'AdoptionRefused' },
    ],
    [
      'the recorded application was deleted in the Console: searched for, then created again',
      claim({ recorded: 'a1' }),
      { named: 'gone', searched: { complete: true, found: [] } },
      { decision: 'create', replacing: 'a1' },
    ],
    [
      'the adopted application is gone: refused, adopted applications are not recreated',
      claim({ recorded: 'a1', adopt: 'a1' }),
      { named: 'gone' },
      { decision: 'refuse', reason: 'ApplicationNotFound' },
    ],
    [
      'adoption of an application that does not exist: refused',
      claim({ adopt: 'nope' }),
      { named: 'gone' },
      { decision: 'refuse', reason: 'ApplicationNotFound' },
    ],
    [
      'an older version recorded the id in status only, status lost: searched for at once',
      claim({ legacyUnrecorded: true }),
      {},
      { decision: 'search', notBefore: NOW },
    ],
  ];
  it.each(rows)('%s', (_situation, c, findings, expected) => {
    expect(identify(c, findings, context)).toMatchObject(expected);
  });
});

describe('identifyForDeletion: a deletion pass', () => {
  const rows: Row[] = [
    [
      'its own application: deleted',
      claim({ recorded: 'a1' }),
      { named: app('a1', {}) },
      { decision: 'use', id: 'a1' },
    ],
    [
      "another resource's application named in the annotation: never touched",
      claim({ externalName: 'a1' }),
      { named: app('a1', { uid: 'uid-2', name: 'other' }) },
      { decision: 'none' },
    ],
    [
      'an adoption never completed: the application was never this resource’s',
      claim({ adopt: 'a1' }),
      { named: app('a1') },
      { decision: 'none' },
    ],
    [
      'a restore not yet taken back, with the token: its application goes with it',
      claim({ uid: 'uid-new', externalName: 'a1', ...sent(3_600_000) }),
      { named: app('a1', { uid: 'uid-old', token: 'tok-1' }) },
      { decision: 'use', id: 'a1' },
    ],
    [
      'a create unrecorded: searched for once its commit window is over',
      claim(sent(1_000)),
      {},
      { decision: 'search', notBefore: NOW - 1_000 + WINDOW },
    ],
    [
      'what the search found of its own goes, all of it',
      claim(sent(WINDOW)),
      { searched: { complete: true, found: [app('a1', {}), app('a2', {}, 2)] } },
      { decision: 'use', id: 'a1', duplicates: ['a2'] },
    ],
    ['nothing sent, nothing recorded: nothing to do', claim(), {}, { decision: 'none' }],
    [
      'the recorded application is gone and no create is pending: done',
      claim({ recorded: 'a1' }),
      { named: 'gone' },
      { decision: 'none' },
    ],
  ];
  it.each(rows)('%s', (_situation, c, findings, expected) => {
    expect(identifyForDeletion(c, findings, context)).toMatchObject(expected);
  });
});

describe('judgeForSweep: an application carrying this cluster’s marker', () => {
  const listed = new Set(['a1', 'a2']);
  const rows: Array<[string, Found & { marker: OwnershipMarker }, Claim | undefined, string]> = [
    ['no resource at its namespace and name: an orphan', { id: 'a1', marker: marker() }, undefined, 'orphan'],
    [
      'the application its resource records: kept',
      { id: 'a1', marker: marker() },
      claim({ recorded: 'a1' }),
      'keep',
    ],
    [
      'a second one of a live resource that records another, listed: a duplicate',
      { id: 'a2', marker: marker() },
      claim({ recorded: 'a1' }),
      'duplicate',
    ],
    [
      'a second one while the recorded one is not in the list (being recovered): kept',
      { id: 'a2', marker: marker() },
      claim({ recorded: 'a9' }),
      'keep',
    ],
    [
      'its resource is about to search (a create unrecorded): kept',
      { id: 'a2', marker: marker() },
      claim(sent(1_000)),
      'keep',
    ],
    [
      "a predecessor's application, the new object records another: an orphan",
      { id: 'a2', marker: marker({ uid: 'uid-old' }) },
      claim({ recorded: 'a1' }),
      'orphan',
    ],
  ];
  it.each(rows)('%s', (_situation, application, c, expected) => {
    expect(judgeForSweep(application, c, listed)).toBe(expected);
  });
});

describe('relation and claims', () => {
  it('tells its own marker, a predecessor’s (same cluster, namespace, name), a foreign one and none', () => {
    const c = claim({ cluster: 'east' });
    expect(relation(marker({ cluster: 'east' }), c)).toBe('ours');
    expect(relation(marker({ uid: 'old', cluster: 'east' }), c)).toBe('predecessor');
    expect(relation(marker({ uid: 'old' }), c)).toBe('foreign');
    expect(relation(marker({ uid: 'old', cluster: 'east', name: 'other' }), c)).toBe('foreign');
    expect(relation(undefined, c)).toBe('unmarked');
  });

  it('checks a claim again just before the marker is written: a second claimant finds the first one’s', () => {
    const first = claim({ adopt: 'a1' });
    const second = claim({ uid: 'uid-2', name: 'copy', adopt: 'a1' });
    expect(stillClaimable(app('a1'), first, 'adoption')).toBe(true);
    // The first claimant wrote its marker: the second one, checking under the lock, is refused.
    expect(stillClaimable(app('a1', {}), second, 'adoption')).toBe(false);
    expect(stillClaimable(app('a1', {}), first, 'adoption')).toBe(true);
  });

  it('names the resource that owns a refused application only to resources of its namespace', () => {
    const refuse = (namespace: string) =>
      identify(
        claim({ externalName: 'a1' }),
        { named: app('a1', { uid: 'u2', namespace, name: 'secret' }) },
        context,
      );
    expect(refuse('team-a')).toMatchObject({ message: expect.stringContaining('team-a/secret') });
    const other = refuse('team-b');
    expect(other).toMatchObject({ message: expect.stringContaining('managed by another LogtoApplication') });
    expect(JSON.stringify(other)).not.toMatch(/team-b|secret|u2/);
  });
});
