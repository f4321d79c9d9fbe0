import { createServer } from 'node:net';

// Ports handed out by this process, so two servers started from the same process never get the same
// one. Another process can still take a port between our probe and the server's bind; the callers
// retry with fresh ports when a server reports that its address is in use.
const handedOut = new Set<number>();

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

export function isAddressInUse(log: string): boolean {
  return /address already in use/i.test(log);
}
