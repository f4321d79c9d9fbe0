import { LogtoApiError } from '../../api/errors.js';

/**
 * A reconcile that cannot go on until something changes: the reason and message land in the Ready
 * condition. `retry` marks failures that may pass by themselves (they go back through the rate
 * limiter's backoff); the others are checked again after `recheckAfterMs` or on the next edit.
 */
export class ReconcileStop extends Error {
  constructor(
    readonly reason: string,
    message: string,
    readonly options: { retry?: boolean; recheckAfterMs?: number } = {},
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
      return new ReconcileStop('LogtoUnavailable', what, { retry: true });
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
      return new ReconcileStop('UnexpectedResponse', what, { retry: true });
    case 'Rejected':
      return new ReconcileStop('LogtoRejected', what);
  }
}

export function toReconcileStop(error: unknown): ReconcileStop | undefined {
  if (error instanceof ReconcileStop) return error;
  if (error instanceof LogtoApiError) return stopFromLogtoError(error);
  return undefined;
}
