import { LogtoApiError } from '../../api/errors.js';
import { KubernetesOperationError } from './kube-errors.js';

/**
 * A reconcile that cannot go on until something changes: the reason and message land in the Ready
 * condition. `retry` marks failures that may pass by themselves (they go back through the rate
 * limiter's backoff); the others are checked again after `recheckAfterMs` or on the next edit.
 */
export class ReconcileStop extends Error {
  /** Set once the reconciler decided when to look again (see the runtime's RequeueAfterError). */
  requeueAfterMs: number | undefined;

  constructor(
    readonly reason: string,
    message: string,
    readonly options: { retry?: boolean; recheckAfterMs?: number; retryAfterMs?: number } = {},
  ) {
    super(message);
    this.name = 'ReconcileStop';
  }
}

/** Maps a Logto API failure to the Ready condition's reason. */
export function stopFromLogtoError(error: LogtoApiError): ReconcileStop {
  const code = error.code ? ` (${error.code})` : '';
  const status = error.status ? ` HTTP ${error.status}` : '';
  const what = `Logto ${error.operation}${status}${code}: ${error.detail}`;
  switch (error.kind) {
    case 'Unavailable':
      // A Retry-After too long to wait within the call is honoured by the next attempt.
      return new ReconcileStop('LogtoUnavailable', what, {
        retry: true,
        ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
      });
    case 'Unauthorized':
      return new ReconcileStop(
        'Unauthorized',
        `${what}. The operator's Logto credentials were refused; check the credentials Secret.`,
      );
    case 'Forbidden':
      return new ReconcileStop(
        'Forbidden',
        `${what}. The operator's machine-to-machine application needs the "Logto Management API access" role.`,
      );
    case 'NotSupported':
      return new ReconcileStop('NotSupportedByServer', what);
    case 'NotFound':
      return new ReconcileStop('LogtoNotFound', what);
    case 'UnexpectedResponse':
      // Retrying at once would get the same answer: a version mismatch between Logto and the operator.
      return new ReconcileStop('UnexpectedResponse', what);
    case 'Rejected':
      return new ReconcileStop('LogtoRejected', what);
  }
}

/**
 * Maps a failure to the Ready condition. Kubernetes refusals (400/403/404/422) are reported and
 * looked at again later; conflicts, throttling and server errors stay plain errors, retried with
 * backoff.
 */
export function toReconcileStop(error: unknown): ReconcileStop | undefined {
  if (error instanceof ReconcileStop) return error;
  if (error instanceof LogtoApiError) return stopFromLogtoError(error);
  if (error instanceof KubernetesOperationError && error.status !== undefined) {
    if (error.status === 403)
      return new ReconcileStop('KubernetesForbidden', `${error.message}; check the operator's RBAC`);
    if ([400, 404, 422].includes(error.status)) return new ReconcileStop('KubernetesRejected', error.message);
  }
  return undefined;
}
