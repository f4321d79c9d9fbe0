import { describe, expect, it } from 'vitest';
import { parseDurationMs } from '../../src/util/duration.js';

describe('parseDurationMs', () => {
  it('reads single and compound units, and bare seconds', () => {
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('30s')).toBe(30_000);
    expect(parseDurationMs('10m')).toBe(600_000);
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
    expect(parseDurationMs('30d')).toBe(30 * 86_400_000);
    expect(parseDurationMs('2.5')).toBe(2500);
  });

  it('refuses anything else', () => {
    for (const bad of ['', 'soon', '10x', '1h 30m', 'h', '-5s']) {
      expect(parseDurationMs(bad), bad).toBeUndefined();
    }
  });
});
