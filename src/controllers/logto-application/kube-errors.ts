import { describeError } from '../../runtime/index.js';

/** A failed Kubernetes call, named by what it tried; the message carries no object data. */
export class KubernetesOperationError extends Error {
  readonly status: number | undefined;
  constructor(operation: string, error: unknown) {
    const { message, status } = describeError(error);
    super(`Kubernetes ${operation}${status ? ` (HTTP ${status})` : ''}: ${message}`);
    this.name = 'KubernetesOperationError';
    this.status = status;
  }
}

/** Runs a Kubernetes call, naming it in the error should it fail. */
export async function named<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new KubernetesOperationError(operation, error);
  }
}
