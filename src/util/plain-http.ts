/**
 * Whether a Logto endpoint sends the operator's credentials and tokens in clear text over a network:
 * plain `http://` to a host that is neither loopback nor a cluster-local Service name. Such an
 * endpoint works, but deserves a warning at start-up.
 */
import { isIPv4 } from 'node:net';

/** Hosts whose traffic stays on the machine or, by name, inside the cluster. */
function isLoopbackOrClusterLocal(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIPv4(host)) return host.split('.')[0] === '127';
  if (host === '[::1]') return true;
  return host.endsWith('.svc') || host.endsWith('.svc.cluster.local');
}

/** True for `http://` URLs to anything but 127.0.0.0/8, ::1, localhost, `*.svc` and `*.svc.cluster.local`. */
export function isPlainHttpOffCluster(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === 'http:' && !isLoopbackOrClusterLocal(parsed.hostname);
}
