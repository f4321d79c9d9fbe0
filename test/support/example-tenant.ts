/**
 * A Logto tenant (emulated) holding what the manifests in examples/ refer to by name: an API
 * resource with scopes, a machine-to-machine role, an organization scope, a user in an organization,
 * and protected-app support. Used by `npm run demo` and by the examples test.
 */
import type { LogtoEmulatorOptions } from '../emulator/index.js';

export function exampleTenant(): LogtoEmulatorOptions {
  return {
    protectedApps: { domain: 'protected.example.com' },
    seed: {
      resources: [
        {
          name: 'Orders API',
          indicator: 'https://orders.example.com/api',
          scopes: ['read:orders', 'write:orders'],
        },
      ],
      roles: [
        {
          name: 'orders-reader',
          type: 'MachineToMachine',
          description: 'Reads orders',
          scopes: [{ indicator: 'https://orders.example.com/api', name: 'read:orders' }],
        },
      ],
      organizationScopes: [{ name: 'read:members' }],
      users: [{ id: 'user-alice', name: 'Alice' }],
      organizations: [{ id: 'org-acme', name: 'Acme', members: ['user-alice'] }],
    },
  };
}
