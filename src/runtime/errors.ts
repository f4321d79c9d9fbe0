/** Longest error message we put in a log line; Kubernetes client errors can embed whole response bodies. */
const MAX_MESSAGE_LENGTH = 500;

/** HTTP status of an error from the Kubernetes client (`ApiException.code`, `Watch`'s `statusCode`). */
export function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const record = err as { code?: unknown; statusCode?: unknown };
  if (typeof record.statusCode === 'number') return record.statusCode;
  if (typeof record.code === 'number') return record.code;
  return undefined;
}

/**
 * A log-safe summary of an error. Logging error objects as they are would serialise every enumerable
 * property, and the Kubernetes client's `ApiException` carries the response body and headers (its
 * message even embeds them), so only the name, status and the first line of the message are kept.
 */
export function describeError(err: unknown): {
  name: string;
  message: string;
  status?: number;
  reason?: string;
} {
  const status = httpStatusOf(err);
  const body = typeof err === 'object' && err !== null ? (err as { body?: unknown }).body : undefined;
  const statusBody =
    typeof body === 'object' && body !== null ? (body as { reason?: unknown; message?: unknown }) : {};
  const reason = typeof statusBody.reason === 'string' ? statusBody.reason : undefined;
  let message: string;
  if (typeof statusBody.message === 'string') message = statusBody.message;
  else if (err instanceof Error) message = err.message;
  else message = String(err);
  message = (message.split('\n', 1)[0] ?? '').slice(0, MAX_MESSAGE_LENGTH);
  const name = err instanceof Error ? err.name : typeof err;
  return {
    name,
    message,
    ...(status !== undefined ? { status } : {}),
    ...(reason !== undefined ? { reason } : {}),
  };
}
