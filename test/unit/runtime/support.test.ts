import { describe, expect, it } from 'vitest';
import { describeError, httpStatusOf } from '../../../src/runtime/errors.js';
import { collectionPath } from '../../../src/runtime/list-watch.js';
import { keyFromString, keyOf, keyToString } from '../../../src/runtime/object-key.js';

describe('object keys', () => {
  it('round-trips namespaced and cluster-scoped keys', () => {
    expect(keyToString({ namespace: 'ns', name: 'a' })).toBe('ns/a');
    expect(keyToString({ namespace: '', name: 'a' })).toBe('a');
    expect(keyFromString('ns/a')).toEqual({ namespace: 'ns', name: 'a' });
    expect(keyFromString('a')).toEqual({ namespace: '', name: 'a' });
    expect(keyOf({ metadata: { name: 'a', namespace: 'ns' } })).toEqual({ namespace: 'ns', name: 'a' });
    expect(keyOf({ metadata: {} })).toBeUndefined();
  });
});

describe('collectionPath', () => {
  it('builds core, group, namespaced and cluster-wide paths', () => {
    expect(collectionPath({ group: '', version: 'v1', plural: 'secrets' }, 'ns')).toBe(
      '/api/v1/namespaces/ns/secrets',
    );
    expect(collectionPath({ group: 'logto.io', version: 'v1alpha1', plural: 'logtoapplications' })).toBe(
      '/apis/logto.io/v1alpha1/logtoapplications',
    );
  });
});

describe('describeError', () => {
  it('keeps status, reason and the Status message of client errors, dropping body and headers', () => {
    const err = Object.assign(
      new Error('HTTP-Code: 422\nMessage: x\nBody: {"data":{"k":"secret"}}\nHeaders: {}'),
      {
        code: 422,
        body: { kind: 'Status', reason: 'Invalid', message: 'spec.x: Invalid value', data: { k: 'secret' } },
        headers: { 'set-cookie': 'session' },
      },
    );
    const described = describeError(err);
    expect(described).toEqual({
      name: 'Error',
      message: 'spec.x: Invalid value',
      status: 422,
      reason: 'Invalid',
    });
    expect(JSON.stringify(described)).not.toContain('secret');
  });

  it('keeps only the first line of plain messages and reads Watch status codes', () => {
    expect(describeError(new Error('first\nsecond'))).toEqual({ name: 'Error', message: 'first' });
    expect(describeError('text')).toEqual({ name: 'string', message: 'text' });
    expect(httpStatusOf(Object.assign(new Error('Gone'), { statusCode: 410 }))).toBe(410);
    expect(httpStatusOf({ code: 'ECONNRESET' })).toBeUndefined();
  });
});
