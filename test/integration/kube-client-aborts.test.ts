/**
 * Aborted requests to the apiserver, many at once, leave the operator's Kubernetes client usable and
 * its process small. Over HTTP/2 (undici's default towards a TLS apiserver) they sent Node.js 24's
 * HTTP/2 session into a native loop that stopped the event loop and grew the process until the kernel
 * refused it 32 GiB: the suite's random "Worker exited unexpectedly". The churn runs in a child
 * process, stopped from here if it stops answering, so a regression fails this file alone.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { createTestNamespace, testKubeConfig } from '../support/kube.js';

const CHURN_MS = 5_000;
/** Far past what the churn needs (seconds); a process looping natively never finishes. */
const STOP_AFTER_MS = 30_000;
const script = path.resolve(import.meta.dirname, '../support/kube-abort-churn.ts');

interface ChurnReport {
  settled: number;
  aborted: number;
  ticks: number;
  maxResidentBytes: number;
  listAfterChurn: string;
}

function runChurn(
  namespace: string,
): Promise<{ code: number | string; report?: ChurnReport; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, String(CHURN_MS), namespace], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: { PATH: process.env.PATH ?? '', KUBECONFIG: inject('kubeconfigPath') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const stop = setTimeout(() => child.kill('SIGKILL'), STOP_AFTER_MS);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(stop);
      const line = output.trim().split('\n').at(-1) ?? '';
      let report: ChurnReport | undefined;
      try {
        report = JSON.parse(line) as ChurnReport;
      } catch {
        report = undefined;
      }
      resolve({ code: code ?? signal ?? 'unknown', report, output });
    });
  });
}

describe('the Kubernetes client under aborted requests', () => {
  it('keeps its event loop and its connections, and stays small', async () => {
    const namespace = await createTestNamespace(testKubeConfig(), 'aborts');
    const { code, report, output } = await runChurn(namespace);
    expect(code, output.slice(-2000)).toBe(0);
    expect(report, output.slice(-2000)).toBeDefined();
    // Requests were cut short mid-flight, and the list after the churn answered (the report is
    // written after it).
    expect(report!.aborted).toBeGreaterThan(100);
    expect(report!.listAfterChurn).toBe('answered');
    // The timers kept running through the churn (a 50 ms ticker over 5 s).
    expect(report!.ticks).toBeGreaterThan(CHURN_MS / 50 / 4);
    expect(report!.maxResidentBytes).toBeLessThan(1024 * 1024 * 1024);
  });
});
