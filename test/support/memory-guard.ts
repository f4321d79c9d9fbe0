/**
 * Setup file of the integration project: a test worker whose resident memory passes 2 GiB writes a
 * Node diagnostic report and a heap snapshot under .tmp/worker-runaway/, says which file and test it
 * was running, and exits. In about one full run of the suite in five, a worker running an in-process
 * operator (crash-safety.test.ts once, a child operator of leader-election.test.ts another time) grew
 * by 60 to 130 MB a second until the kernel refused it 32 GiB at once, and the kernel's OOM killer
 * took other workers with it; vitest could only say "Worker exited unexpectedly". This ends that
 * worker early, with what is needed to find the cause, and leaves the others alone.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { expect } from 'vitest';

const LIMIT_BYTES = 2 * 2 ** 30;
const dir = path.resolve(import.meta.dirname, '../../.tmp/worker-runaway');

declare global {
  var logtoOperatorMemoryGuard: NodeJS.Timeout | undefined;
}

// Once per worker (setup files run before each test file of the worker).
globalThis.logtoOperatorMemoryGuard ??= setInterval(() => {
  const usage = process.memoryUsage();
  if (usage.rss < LIMIT_BYTES) return;
  clearInterval(globalThis.logtoOperatorMemoryGuard);
  const { testPath, currentTestName } = expect.getState();
  mkdirSync(dir, { recursive: true });
  const stem = path.join(dir, `worker-${process.pid}`);
  const what =
    `test worker ${process.pid} grew to ${Math.round(usage.rss / 2 ** 20)} MiB resident ` +
    `(heap ${Math.round(usage.heapUsed / 2 ** 20)} MiB, array buffers ${Math.round(usage.arrayBuffers / 2 ** 20)} MiB) ` +
    `in ${testPath ?? 'an unknown file'} :: ${currentTestName ?? 'no test running'}`;
  writeFileSync(`${stem}.txt`, `${what}\n`);
  process.report.directory = dir;
  process.report.writeReport(`${path.basename(stem)}.report.json`);
  writeHeapSnapshot(`${stem}.heapsnapshot`);
  process.stderr.write(`${what}; diagnostics in ${stem}.*; exiting\n`);
  process.exit(70);
}, 1_000);
globalThis.logtoOperatorMemoryGuard.unref();
