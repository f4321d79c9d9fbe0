import type { LogtoApplication, LogtoApplicationSpec } from '../../../src/crd/logto-application.js';

export function resource(spec: Partial<LogtoApplicationSpec> = {}, name = 'web'): LogtoApplication {
  return {
    apiVersion: 'logto.io/v1alpha1',
    kind: 'LogtoApplication',
    metadata: { name, namespace: 'team-a', uid: 'uid-1', generation: 1 },
    spec: { type: 'Traditional', ...spec },
  };
}
