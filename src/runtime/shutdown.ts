/**
 * The order in which a replica stops, so that nobody else reconciles while its writes may still land:
 * 1. the controller stops taking work and waits (bounded) for in-flight reconciles, aborting them at
 *    the deadline; the Lease is renewed meanwhile;
 * 2. the Lease is released only if every reconcile finished before the deadline and no write went
 *    unanswered lately; otherwise it is left to expire, since the apiserver may still apply a request
 *    the operator gave up on;
 * 3. watches stop, pending Events get what is left of the budget, connections close.
 * Every step is bounded, so the whole takes the timeout plus a few seconds however the apiserver does.
 */
import type { StopResult } from './index.js';

export interface ShutdownParts {
  controller: { stop(options: { timeoutMs: number }): Promise<StopResult> };
  /** Undefined without leader election. */
  elector: { stop(options: { release: boolean; releaseTimeoutMs: number }): Promise<void> } | undefined;
  informers: { stop(): Promise<void> }[];
  events: { close(timeoutMs: number): Promise<void> };
  connections: { close(): Promise<void>; abandonedWriteWithin(ms: number): boolean };
  now?: () => number;
}

/** Whatever is left of the budget, each last step (release, Events) gets at least this. */
export const MIN_SHUTDOWN_STEP_MS = 1_000;

export async function shutDown(
  parts: ShutdownParts,
  timeoutMs: number,
  options: {
    releaseLease: boolean;
    /** Writes abandoned this recently keep the Lease from being released (the lease duration). */
    abandonedWritesWindowMs: number;
  },
): Promise<StopResult> {
  const now = parts.now ?? Date.now;
  const deadline = now() + timeoutMs;
  const remaining = () => Math.max(MIN_SHUTDOWN_STEP_MS, deadline - now());
  const result = await parts.controller.stop({ timeoutMs });
  const writesSettled = !parts.connections.abandonedWriteWithin(options.abandonedWritesWindowMs);
  await parts.elector?.stop({
    release: !result.timedOut && writesSettled && options.releaseLease,
    releaseTimeoutMs: remaining(),
  });
  await Promise.all(parts.informers.map((informer) => informer.stop()));
  await parts.events.close(remaining());
  await parts.connections.close();
  return result;
}
