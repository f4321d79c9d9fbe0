import { describe, expect, it } from 'vitest';
import { isPlainHttpOffCluster } from '../../src/util/plain-http.js';

describe('isPlainHttpOffCluster', () => {
  it.each([
    'http://logto.example.com',
    'http://10.0.0.12:3001',
    'http://192.168.1.5',
    'http://[2001:db8::1]:3001',
    'http://logto.svc.example.com',
    'http://logto.default.svc.cluster.local.example.com',
    'http://128.0.0.1',
  ])('warns about %s', (url) => {
    expect(isPlainHttpOffCluster(url)).toBe(true);
  });

  it.each([
    'https://logto.example.com',
    'https://10.0.0.12',
    'http://127.0.0.1:3001',
    'http://127.42.0.7',
    'http://[::1]:3001',
    'http://localhost:3001',
    'http://LOCALHOST.',
    'http://logto.localhost',
    'http://logto.auth.svc:3001',
    'http://logto.auth.svc.cluster.local',
    'http://logto.auth.svc.cluster.local.',
    'not a url',
  ])('accepts %s', (url) => {
    expect(isPlainHttpOffCluster(url)).toBe(false);
  });
});
