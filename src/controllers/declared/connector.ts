/**
 * What the connectors of the declared kinds share: the connection of a pass (resolved first, then a
 * slot of its health, see pass-admission.ts), its Logto client recording the calls, and reads that
 * answer `gone` for a 404.
 */
import { isNotFound } from '../../api/errors.js';
import type { LogtoClient } from '../../api/client.js';
import { recordingCalls } from '../../util/observe-calls.js';
import { KeyedLock } from '../../util/keyed-lock.js';
import type { EventType } from '../logto-application/ports.js';
import type { ConnectionResolver, PassConnection } from '../logto-application/policy.js';
import { CONNECTION_ANNOTATION } from '../logto-application/external-name.js';
import type { AnnotationChanges } from '../logto-application/resource-metadata.js';
import { mapped } from '../logto-application/logto-external.js';
import { admitPass } from '../pass-admission.js';
import type { Declarations } from './declarations.js';
import type { DeclaredObject } from './external.js';

export interface DeclaredConnectorDependencies {
  connections: ConnectionResolver;
  declarations: Declarations;
  events: { record(resource: DeclaredObject, type: EventType, reason: string, message: string): void };
  /** This cluster's name (--cluster-name); '' when it has none. */
  clusterName: string;
}

/** One pass's connection and Logto client. */
export interface Pass {
  connection: PassConnection;
  logto: LogtoClient;
  calls: readonly string[];
  annotations: AnnotationChanges;
  release: () => void;
}

/**
 * Opens a pass for `resource`: resolves its connection (ConnectionNotFound, ConnectionNotReady,
 * PolicyDenied by namespace), takes a slot, then runs the kind's checks before any Logto call.
 */
export function openPass(
  resource: DeclaredObject,
  deps: DeclaredConnectorDependencies,
  check: (connection: PassConnection) => void,
): Promise<Pass> {
  return mapped(async () => {
    const connection = await deps.connections.resolve(resource);
    const release = admitPass(connection);
    try {
      check(connection);
      const { api, calls } = recordingCalls(connection.logto);
      return {
        connection,
        logto: api,
        calls,
        // A resource without connectionRef is pinned to its connection with its first record.
        annotations: connection.pin ? { [CONNECTION_ANNOTATION]: connection.pin } : {},
        release,
      };
    } catch (error) {
      release();
      throw error;
    }
  });
}

/** A read by id that answers 'gone' for a 404. */
export async function readOrGone<T>(read: () => Promise<T>): Promise<T | 'gone'> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return 'gone';
    throw error;
  }
}

/** Take-overs of existing objects, one at a time per object in this operator (see the externals). */
export const takeOvers = new KeyedLock();
