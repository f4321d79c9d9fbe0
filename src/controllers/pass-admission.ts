/**
 * A pass's admission by its connection's health (src/connections/health.ts): a slot, or a stop that
 * says why not (the endpoint fails or asked to wait), or a quiet deferral when every slot is taken.
 */
import { describeConnection } from '../connections/registry.js';
import type { ConnectionHealth } from '../connections/health.js';
import { PassDeferred, ReconcileStop } from './logto-application/outcome.js';

/** Takes a slot of the connection for one pass; answers the function that gives it back. */
export function admitPass(connection: { key: string; health?: ConnectionHealth | undefined }): () => void {
  const admission = connection.health?.admit();
  if (!admission) return () => {};
  if (admission.admitted) return admission.release;
  if (admission.why === 'busy') throw new PassDeferred(admission.retryInMs);
  const what = describeConnection(connection.key);
  const message =
    admission.why === 'throttled'
      ? `Logto asked ${what} to wait (HTTP 429 with Retry-After); its resources go on when the wait is over`
      : `Logto does not answer ${what}: failing since ${admission.since?.toISOString() ?? 'a moment ago'}` +
        `${admission.lastFailure ? ` (last: ${admission.lastFailure})` : ''}; its resources wait until a probe ` +
        'gets an answer (retried with backoff up to a minute)';
  throw new ReconcileStop('LogtoUnavailable', message, { retryAfterMs: admission.retryInMs, quiet: true });
}
