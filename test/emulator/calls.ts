// Call recording. Only method, route, path, status and timing are kept: never headers or bodies,
// so no credential or secret value ends up in a record.
import type { MangleMode } from './faults.js';

export interface CallRecord {
  method: string;
  /** The route template (`/api/applications/{id}`), or the raw path when no route matched. */
  route: string;
  /** The operation name, for the operations of the table (src/api/operations.ts). */
  operation?: string;
  path: string;
  /** The answered status; 0 when the connection was reset. */
  status: number;
  /** Emulator clock, epoch ms, at arrival. */
  timestamp: number;
  durationMs: number;
  /** Set when a fault rule or an outage shaped the answer. */
  fault?: 'latency' | 'status' | 'rate-limit' | 'reset' | 'outage' | 'late-commit' | 'mangled';
  /**
   * How the answer was mangled after the request was handled (with `fault: 'mangled'`); `status`
   * is then the status sent (502 for `html-502`), not the real one.
   */
  mangled?: MangleMode;
}

export interface CallFilter {
  method?: string;
  route?: string;
  operation?: string;
  status?: number;
}

const matches = (call: CallRecord, filter: CallFilter) =>
  (filter.method === undefined || call.method === filter.method.toUpperCase()) &&
  (filter.route === undefined || call.route === filter.route) &&
  (filter.operation === undefined || call.operation === filter.operation) &&
  (filter.status === undefined || call.status === filter.status);

export class CallRecorder {
  private readonly records: CallRecord[] = [];

  record(call: CallRecord): void {
    this.records.push(call);
  }

  list(filter: CallFilter = {}): CallRecord[] {
    return this.records.filter((call) => matches(call, filter)).map((call) => ({ ...call }));
  }

  count(filter: CallFilter = {}): number {
    return this.records.filter((call) => matches(call, filter)).length;
  }

  clear(): void {
    this.records.length = 0;
  }
}
