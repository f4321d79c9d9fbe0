import { KubernetesOperationError } from './kube-errors.js';

/**
 * A reconcile that cannot go on until something changes: the reason and message land in the Synced
 * condition. `retry` marks failures that may pass by themselves (they go back through the rate
 * limiter's backoff); the others are checked again after `recheckAfterMs` or on the next edit.
 */
/** Reasons of a pass that waits for another object to be made (see logAs). */
const WAITS = new Set(['ApiResourceNotReady', 'RoleNotFound', 'ScopeNotFound', 'CreatePending']);

export class ReconcileStop extends Error {
  /** Set once the reconciler decided when to look again (see the runtime's RequeueAfterError). */
  requeueAfterMs: number | undefined;

  constructor(
    readonly reason: string,
    message: string,
    readonly options: {
      retry?: boolean;
      recheckAfterMs?: number;
      retryAfterMs?: number;
      /**
       * The pass did nothing but wait (its connection is unavailable): no Event when the Synced
       * condition already says the same, so that a resource waiting for a probe adds no write.
       */
      quiet?: boolean;
    } = {},
  ) {
    super(message);
    this.name = 'ReconcileStop';
  }

  /**
   * How the controller logs it (see LoggedAs): a refusal by policy is the policy at work, and waiting
   * for an object that another resource declares and has not made yet is the normal order of things.
   */
  get logAs(): { level: 'warn' | 'info'; message: string } | undefined {
    if (this.reason === 'PolicyDenied') return { level: 'warn', message: 'refused by policy' };
    if (WAITS.has(this.reason) && !this.options.retry) return { level: 'info', message: 'waiting' };
    return undefined;
  }
}

/**
 * A pass that did not start because its connection has no free slot (see ConnectionHealth): the key
 * comes back after `retryInMs`, and nothing is reported, since nothing happened.
 */
export class PassDeferred extends Error {
  constructor(readonly retryInMs: number) {
    super(`deferred for ${retryInMs} ms: the connection has no free pass slot`);
    this.name = 'PassDeferred';
  }
}

/**
 * Maps a failure to a stop. Kubernetes refusals (400/403/404/422) are reported and looked at again
 * later; conflicts, throttling and server errors stay plain errors, retried with backoff. Failures of
 * the external system arrive here already mapped by its client (see logto-errors.ts).
 */
export function toReconcileStop(error: unknown): ReconcileStop | undefined {
  if (error instanceof ReconcileStop) return error;
  if (error instanceof KubernetesOperationError && error.status !== undefined) {
    if (error.status === 403)
      return new ReconcileStop('KubernetesForbidden', `${error.message}; check the operator's RBAC`);
    if ([400, 404, 422].includes(error.status)) return new ReconcileStop('KubernetesRejected', error.message);
  }
  return undefined;
}
