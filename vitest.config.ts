import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Integration files that wait by design (an outage, leases, sweeps, a second Prometheus), longest
 * first. Started first, they never become the tail of a run on a machine without vitest's cache of
 * durations (CI), where files would otherwise go largest first.
 */
const WAITING_FILES = [
  'connection-outage',
  'monitoring',
  'sweep',
  'hung-apiserver',
  'leader-election',
  'control-plane',
  'install-docs',
  'secrets-rotation',
  'crash-safety',
];

class WaitingFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const index = WAITING_FILES.findIndex((name) => spec.moduleId.endsWith(`/${name}.test.ts`));
      return index < 0 ? WAITING_FILES.length : index;
    };
    const group = (spec: TestSpecification) => spec.project.config.sequence.groupOrder;
    return sorted
      .map((spec, position) => ({ spec, position }))
      .sort((a, b) => group(a.spec) - group(b.spec) || rank(a.spec) - rank(b.spec) || a.position - b.position)
      .map(({ spec }) => spec);
  }
}

// Two projects: `unit` runs without any external process; `integration` shares one real
// kube-apiserver + etcd and one build of the operator, both made by the global setup (the binaries
// are built on first use, see README).
export default defineConfig({
  test: {
    sequence: { sequencer: WaitingFilesFirst },
    // Both projects share four workers: the integration files mostly wait (on the apiserver, on the
    // operator's timers), the unit files fill the cores meanwhile. The waiting files start first.
    maxWorkers: 4,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/contract/**/*.test.ts', 'test/emulator/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/control-plane/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
