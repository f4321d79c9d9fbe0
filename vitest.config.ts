import { defineConfig } from 'vitest/config';

// Two projects: `unit` runs without any external process; `integration` shares one real
// kube-apiserver + etcd and one build of the operator, both made by the global setup (the binaries
// are built on first use, see README).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/contract/**/*.test.ts', 'test/emulator/**/*.test.ts'],
          testTimeout: 20_000,
          // vitest's default is one worker fewer than cores: on 2 cores, one. Imports dominate these
          // files, which wait on nothing else.
          maxWorkers: 2,
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
          // Each file gets its own namespaces. The files mostly wait (on the apiserver, on the
          // operator's timers), so more workers than cores shorten the run.
          maxWorkers: 3,
          // Runs after the unit project (projects with their own worker count need their own group).
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
