import { describe, expect, it } from 'vitest';
import { FINALIZER } from '../../../src/controllers/logto-application/constants.js';
import {
  CREATE_FAILED_ANNOTATION,
  CREATE_PENDING_ANNOTATION,
  CREATE_SUCCEEDED_ANNOTATION,
  EXTERNAL_NAME_ANNOTATION,
  createPendingUnconfirmed,
  externalName,
  ownAnnotations,
} from '../../../src/controllers/logto-application/external-name.js';
import {
  assertNotForeign,
  mayHaveLostCreate,
  ownership,
} from '../../../src/controllers/logto-application/locate-application.js';
import { MARKER_KEY } from '../../../src/controllers/logto-application/ownership-marker.js';
import type { Application } from '../../../src/api/schemas.js';
import type { LogtoApplication } from '../../../src/crd/logto-application.js';
import { resource } from './fixtures.js';

function annotated(annotations: Record<string, string>, finalizers?: string[]): LogtoApplication {
  const r = resource();
  return { ...r, metadata: { ...r.metadata, annotations, ...(finalizers ? { finalizers } : {}) } };
}

const T1 = '2026-11-29T10:00:00.100Z';
const T2 = '2026-11-29T10:00:00.200Z';

describe('external name and create-pending annotations', () => {
  it('reads the id from the annotation, else from status (resources of older versions)', () => {
    expect(externalName(annotated({ [EXTERNAL_NAME_ANNOTATION]: 'app-1' }))).toBe('app-1');
    expect(externalName({ ...resource(), status: { applicationId: 'app-2' } })).toBe('app-2');
    expect(externalName(resource())).toBeUndefined();
  });

  it('calls a create confirmed once status records an application id (the annotation stays)', () => {
    const sent = annotated({ [CREATE_PENDING_ANNOTATION]: T1 }, [FINALIZER]);
    expect(createPendingUnconfirmed(sent)).toBe(true);
    expect(mayHaveLostCreate(sent)).toBe(true);
    const confirmed = { ...sent, status: { applicationId: 'app-1' } };
    expect(createPendingUnconfirmed(confirmed)).toBe(false);
    expect(mayHaveLostCreate(confirmed)).toBe(false);
    // Status lost: unconfirmed again, so the next pass looks for the application.
    expect(createPendingUnconfirmed({ ...sent, status: {} })).toBe(true);
  });

  it('calls a create unconfirmed while its pending annotation stands (confirming removes it)', () => {
    expect(createPendingUnconfirmed(annotated({}))).toBe(false);
    expect(createPendingUnconfirmed(annotated({ [CREATE_PENDING_ANNOTATION]: T1 }))).toBe(true);
    // No clock comparison: a pending create of a new attempt is unconfirmed whatever the times say.
    expect(
      createPendingUnconfirmed(
        annotated({ [CREATE_PENDING_ANNOTATION]: T1, [CREATE_SUCCEEDED_ANNOTATION]: T2 }),
      ),
    ).toBe(true);
    expect(createPendingUnconfirmed(annotated({ [CREATE_SUCCEEDED_ANNOTATION]: T2 }))).toBe(false);
    expect(createPendingUnconfirmed(annotated({ [CREATE_FAILED_ANNOTATION]: T2 }))).toBe(false);
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

  it('searches by marker only where a create may have been lost', () => {
    // A new resource: nothing recorded, no finalizer yet. Creating needs no search.
    expect(mayHaveLostCreate(annotated({}))).toBe(false);
    expect(mayHaveLostCreate(annotated({ [CREATE_PENDING_ANNOTATION]: T1 }, [FINALIZER]))).toBe(true);
    expect(mayHaveLostCreate(annotated({ [CREATE_SUCCEEDED_ANNOTATION]: T2 }, [FINALIZER]))).toBe(false);
    // A create that failed for sure left nothing in Logto.
    expect(mayHaveLostCreate(annotated({ [CREATE_FAILED_ANNOTATION]: T2 }, [FINALIZER]))).toBe(false);
    // An older version's resource: finalizer, but no id and no create recorded in annotations.
    expect(mayHaveLostCreate(annotated({}, [FINALIZER]))).toBe(true);
  });

  it('tells an application of a replaced object (same namespace and name, other UID) from a foreign one', () => {
    const r = resource();
    const app = (marker?: object) =>
      ({ id: 'a', customData: marker ? { [MARKER_KEY]: marker } : {} }) as Application;
    const { namespace, name, uid } = r.metadata;
    expect(ownership(app({ uid, namespace, name }), r)).toBe('ours');
    expect(ownership(app({ uid: 'old-uid', namespace, name }), r)).toBe('replaced');
    expect(ownership(app({ uid: 'old-uid', namespace, name: 'other' }), r)).toBe('foreign');
    expect(ownership(app(), r)).toBe('unmarked');
    // Another cluster's object of the same namespace and name is not one this resource replaced.
    expect(ownership(app({ uid: 'old-uid', namespace, name, cluster: 'prod' }), r)).toBe('foreign');
    expect(ownership(app({ uid: 'old-uid', namespace, name, cluster: 'prod' }), r, 'prod')).toBe('replaced');
    expect(ownership(app({ uid: 'old-uid', namespace, name }), r, 'prod')).toBe('foreign');
  });

  it('names the resource that owns a refused application only to resources of its namespace', () => {
    const r = resource();
    const app = (namespace: string) =>
      ({
        id: 'a',
        customData: { [MARKER_KEY]: { uid: 'u2', namespace, name: 'secret-project' } },
      }) as unknown as Application;
    expect(() => assertNotForeign(app('team-a'), r)).toThrow(/team-a\/secret-project/);
    expect(() => assertNotForeign(app('team-b'), r)).toThrow(/managed by another LogtoApplication/);
    expect(() => assertNotForeign(app('team-b'), r)).not.toThrow(/team-b|secret-project|u2/);
  });
});
