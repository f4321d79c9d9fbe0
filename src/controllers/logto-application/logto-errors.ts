/**
 * Logto's failures as stops of a pass: the Logto client of a pass (logto-external.ts) maps every
 * LogtoApiError it lets out, so that the generic reconciler never sees a Logto type.
 */
import { LogtoApiError } from '../../api/errors.js';
import { ReconcileStop } from './outcome.js';

/** Maps a Logto API failure to the Synced condition's reason. */
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
      // A garbled answer (a proxy, a cut connection) passes; a version mismatch between Logto and the
      // operator does not, and the growing backoff keeps its retries rare.
      return new ReconcileStop('UnexpectedResponse', what, { retry: true });
    case 'Rejected':
      return new ReconcileStop('LogtoRejected', what);
  }
}

/** `error` as a stop when Logto answered it, else as is. */
export function fromLogto(error: unknown): unknown {
  return error instanceof LogtoApiError ? stopFromLogtoError(error) : error;
}
