import { defineConfig } from 'vitest/config';

// Two projects: `unit` runs without any external process; `integration` shares one real
// kube-apiserver + etcd started by the global setup (built on first use, see README).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/contract/**/*.test.ts', 'test/emulator/**/*.test.ts'],
          testTimeout: 20_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/control-plane/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Each file gets its own namespaces; two workers keep a 2-core machine responsive.
          maxWorkers: 2,
          // Runs after the unit project (projects with their own worker count need their own group).
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
