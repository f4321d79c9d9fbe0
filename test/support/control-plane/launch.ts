import { freePort, isAddressInUse } from './ports.js';
import { logTail, terminate, type ManagedProcess } from './process.js';
import { waitUntil } from './wait.js';

const ATTEMPTS = 5;

export interface LaunchOptions {
  name: string;
  portCount: number;
  timeoutMs: number;
  spawn: (ports: number[]) => ManagedProcess;
  /** True once the server answers as healthy. */
  ready: (ports: number[]) => Promise<boolean>;
}

/**
 * Starts a server on fresh loopback ports and waits until it is healthy. Probing for a free port and
 * binding it are two steps, so another process can win the port in between: that attempt's server
 * exits with "address already in use" and the launch is retried on new ports.
 */
export async function launchOnFreePorts(
  options: LaunchOptions,
): Promise<{ proc: ManagedProcess; ports: number[] }> {
  for (let attempt = 1; ; attempt++) {
    const ports: number[] = [];
    for (let i = 0; i < options.portCount; i++) ports.push(await freePort());
    const proc = options.spawn(ports);
    try {
      await waitUntil(() => options.ready(ports), {
        what: `${options.name} to become healthy`,
        timeoutMs: options.timeoutMs,
        failure: () => (proc.hasExited() ? `${options.name} exited` : undefined),
      });
      return { proc, ports };
    } catch (error) {
      await terminate(proc);
      const log = logTail(proc);
      if (attempt < ATTEMPTS && isAddressInUse(log)) continue;
      throw new Error(`${(error as Error).message}; last lines of ${proc.logPath}:\n${log}`);
    }
  }
}
