import { describe, expect, it } from 'vitest';
import { FINALIZER } from '../../../src/controllers/logto-application/constants.js';
import {
  claimOf,
  CREATE_FAILED_ANNOTATION,
  CREATE_PENDING_ANNOTATION,
  CREATE_SUCCEEDED_ANNOTATION,
  CREATE_TOKEN_ANNOTATION,
  EXTERNAL_NAME_ANNOTATION,
  ownAnnotations,
} from '../../../src/controllers/logto-application/external-name.js';
import { mayHoldUnrecorded } from '../../../src/controllers/logto-application/identity.js';
import type { LogtoApplication } from '../../../src/crd/logto-application.js';
import { resource } from './fixtures.js';

function annotated(annotations: Record<string, string>, finalizers?: string[]): LogtoApplication {
  const r = resource();
  return { ...r, metadata: { ...r.metadata, annotations, ...(finalizers ? { finalizers } : {}) } };
}

const T1 = '2026-11-29T10:00:00.100Z';
const T2 = '2026-11-29T10:00:00.200Z';

describe('what a resource says about its application (claimOf)', () => {
  it("takes the operator's record from status, the rest from annotations and the spec", () => {
    const r: LogtoApplication = {
      ...annotated({
        [EXTERNAL_NAME_ANNOTATION]: 'app-1',
        [CREATE_PENDING_ANNOTATION]: T1,
        [CREATE_TOKEN_ANNOTATION]: 'tok',
      }),
      status: { applicationId: 'app-2' },
    };
    r.spec.adoptApplicationId = 'app-3';
    expect(claimOf(r, 'east')).toEqual({
      uid: r.metadata.uid,
      namespace: r.metadata.namespace,
      name: r.metadata.name,
      cluster: 'east',
      recorded: 'app-2',
      externalName: 'app-1',
      adopt: 'app-3',
      createSentAt: Date.parse(T1),
      token: 'tok',
    });
  });

  it('calls a create unrecorded while status holds no id, whatever the other annotations say', () => {
    const sent = annotated({ [CREATE_PENDING_ANNOTATION]: T1 }, [FINALIZER]);
    expect(mayHoldUnrecorded(claimOf(sent, ''))).toBe(true);
    expect(mayHoldUnrecorded(claimOf({ ...sent, status: { applicationId: 'app-1' } }, ''))).toBe(false);
    // Status lost: unrecorded again, so the next pass looks for the application.
    expect(mayHoldUnrecorded(claimOf({ ...sent, status: {} }, ''))).toBe(true);
    // No clock comparison: a pending create of a new attempt is unrecorded whatever the times say.
    const both = annotated({ [CREATE_PENDING_ANNOTATION]: T1, [CREATE_SUCCEEDED_ANNOTATION]: T2 });
    expect(mayHoldUnrecorded(claimOf(both, ''))).toBe(true);
    // An unreadable time still says a create was sent.
    expect(claimOf(annotated({ [CREATE_PENDING_ANNOTATION]: 'soon' }), '').createSentAt).toBe(0);
  });

  it('searches only where a create may have been lost', () => {
    // A new resource: nothing recorded, no finalizer yet. Creating needs no search.
    expect(mayHoldUnrecorded(claimOf(annotated({}), ''))).toBe(false);
    expect(
      mayHoldUnrecorded(claimOf(annotated({ [CREATE_SUCCEEDED_ANNOTATION]: T2 }, [FINALIZER]), '')),
    ).toBe(false);
    // A create that failed for sure left nothing in Logto.
    expect(mayHoldUnrecorded(claimOf(annotated({ [CREATE_FAILED_ANNOTATION]: T2 }, [FINALIZER]), ''))).toBe(
      false,
    );
    // An older version's resource: finalizer, but no id and no create recorded in annotations.
    expect(mayHoldUnrecorded(claimOf(annotated({}, [FINALIZER]), ''))).toBe(true);
  });

  it('applies the complete set of its annotations, leaving others out, and removes on undefined', () => {
    const r = annotated({ team: 'a', [CREATE_PENDING_ANNOTATION]: T1, [CREATE_FAILED_ANNOTATION]: T1 });
    expect(
      ownAnnotations(r, { [EXTERNAL_NAME_ANNOTATION]: 'app-1', [CREATE_FAILED_ANNOTATION]: undefined }),
    ).toEqual({
      [EXTERNAL_NAME_ANNOTATION]: 'app-1',
      [CREATE_PENDING_ANNOTATION]: T1,
    });
  });
});
