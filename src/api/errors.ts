/** Broad classes of Logto failures, each with one way for the controller to react. */
export type LogtoErrorKind =
  /** Network error, timeout, 429 or 5xx: Logto may answer later; retry with backoff. */
  | 'Unavailable'
  /** 401 that a fresh token did not cure: the operator's credentials are wrong. */
  | 'Unauthorized'
  /** 403: the token has no Management API scope (missing role or scope=all). Not retryable. */
  | 'Forbidden'
  /** 404: the addressed entity does not exist. */
  | 'NotFound'
  /** 400 / 409 / 422: Logto refused the request; the desired state must change. */
  | 'Rejected'
  /** 501: the server lacks the feature (e.g. protected apps without Cloudflare). */
  | 'NotSupported'
  /** The answer did not match our schema of Logto's API. */
  | 'UnexpectedResponse';

export interface LogtoErrorDetails {
  operation: string;
  status?: number;
  /** Logto's error code, e.g. `application.invalid_type`. */
  code?: string;
  /** Logto's message, or a description of a transport failure. Never contains credentials. */
  detail: string;
  retryAfterMs?: number;
  /** Overrides the kind the status and code imply (the token endpoint's refusals of credentials). */
  kind?: LogtoErrorKind;
}

export class LogtoApiError extends Error {
  readonly operation: string;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly detail: string;
  readonly kind: LogtoErrorKind;
  readonly retryAfterMs: number | undefined;

  constructor(details: LogtoErrorDetails) {
    const where = details.status ? `${details.operation}: HTTP ${details.status}` : details.operation;
    super(`${where}${details.code ? ` ${details.code}` : ''}: ${details.detail}`);
    this.name = 'LogtoApiError';
    this.operation = details.operation;
    this.status = details.status;
    this.code = details.code;
    this.detail = details.detail;
    this.retryAfterMs = details.retryAfterMs;
    this.kind = details.kind ?? classify(details.status, details.code);
  }

  get retryable(): boolean {
    return this.kind === 'Unavailable';
  }
}

function classify(status: number | undefined, code: string | undefined): LogtoErrorKind {
  if (code === 'operator.unexpected_response') return 'UnexpectedResponse';
  if (status === undefined || status === 429 || status >= 500)
    return status === 501 ? 'NotSupported' : 'Unavailable';
  if (status === 401) return 'Unauthorized';
  if (status === 403) return 'Forbidden';
  if (status === 404) return 'NotFound';
  return 'Rejected';
}

export function isNotFound(error: unknown): boolean {
  return error instanceof LogtoApiError && error.kind === 'NotFound';
}

/**
 * Runs a delete-like call; an entity already gone (404) counts as done. Resolves true when the call
 * did the work, false when there was nothing left to do.
 */
export async function ignoreNotFound(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}
