import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type ConfigSystem } from '../../src/config.js';

const required = {
  LOGTO_ENDPOINT: 'http://logto:3001',
  LOGTO_CLIENT_ID: 'id',
  LOGTO_CLIENT_SECRET: 'secret',
};
const system: ConfigSystem = {
  hostname: () => 'host-1',
  inClusterNamespace: () => undefined,
  randomSuffix: () => 'abcd1234',
};
const load = (argv: string[] = [], env: Record<string, string> = {}) =>
  loadConfig(argv, { ...required, ...env }, system);

describe('--list-page-size', () => {
  it('defaults to 500 and is read from the flag or LIST_PAGE_SIZE', () => {
    expect(load().listPageSize).toBe(500);
    expect(load(['--list-page-size', '50']).listPageSize).toBe(50);
    expect(load([], { LIST_PAGE_SIZE: '20' }).listPageSize).toBe(20);
  });

  it.each(['0', '-5', 'ten', '2.5'])('rejects %s', (value) => {
    expect(() => load([`--list-page-size=${value}`])).toThrow(ConfigError);
  });
});
