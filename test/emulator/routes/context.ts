import type { IncomingHttpHeaders } from 'node:http';

import type { TSchema } from '@sinclair/typebox';

import type {
  HttpMethod,
  OperationName,
  OperationPathParams,
  OperationRequest,
} from '../../../src/api/operations.js';
import type { Clock } from '../clock.js';
import type { Reply } from '../http.js';
import type { EmulatorState } from '../state.js';

export interface EmulatorConfig {
  tenantId: string;
  /** The Management API resource indicator tokens must be requested for. */
  resourceIndicator: string;
  /** Domain suffix of Protected apps; undefined: the server has no protected-app support (501). */
  protectedAppDomain: string | undefined;
  tokenTtlSeconds: number;
  /** `http://127.0.0.1:<port>`, known once listening. */
  endpoint: string;
}

/** What every handler can reach. */
export interface EmulatorCore {
  readonly state: EmulatorState;
  readonly clock: Clock;
  readonly config: EmulatorConfig;
  /** HS256 key of the access tokens. */
  readonly signingKey: Buffer;
}

export interface RouteContext {
  core: EmulatorCore;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The JSON body, validated against the route's schema and stripped of unknown fields. */
  body: unknown;
  rawBody: Buffer;
  headers: IncomingHttpHeaders;
}

export interface RouteDef {
  method: HttpMethod;
  path: string;
  /** Set for the operations of src/api/operations.ts. */
  operation?: OperationName;
  /** Whether a Management API bearer token is required. */
  auth: boolean;
  /** JSON body schema; a body that does not match answers 400 `guard.invalid_input`. */
  request?: TSchema;
  /** Checks the server makes before it validates the body (a throw answers instead). */
  precheck?(context: RouteContext): void;
  handle(context: RouteContext): Reply;
}

export interface OperationContext<N extends OperationName> {
  core: EmulatorCore;
  params: OperationPathParams<N>;
  body: OperationRequest<N>;
  query: URLSearchParams;
}

export type OperationHandlers<K extends OperationName = OperationName> = {
  [N in K]: (context: OperationContext<N>) => Reply;
};
