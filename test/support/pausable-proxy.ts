/**
 * A TCP proxy on 127.0.0.1 in front of a server, which a test can pause: while paused, connections
 * stay open (new ones are accepted too) and nothing reaches either side, as when the server's process
 * is stopped. What clients send meanwhile is held and delivered on resume. TLS passes through
 * untouched, so a client still verifies the server behind it.
 */
import net from 'node:net';

export interface PausableProxy {
  /** `https://127.0.0.1:<port>` (the target's scheme) for the proxied `target`. */
  url: string;
  pause(): void;
  resume(): void;
  /** Chunks clients sent since the last pause (held, not yet delivered). */
  heldSincePause(): number;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream?: net.Socket;
  /** Client data held while paused. */
  held: Buffer[];
}

export async function startPausableProxy(target: string): Promise<PausableProxy> {
  const { protocol, hostname, port } = new URL(target);
  const pairs = new Set<Pair>();
  let paused = false;
  let held = 0;

  const end = (pair: Pair) => {
    pair.client.destroy();
    pair.upstream?.destroy();
    pairs.delete(pair);
  };
  const hold = (pair: Pair) => (chunk: Buffer) => {
    pair.held.push(chunk);
    held++;
  };
  const holders = new WeakMap<Pair, (chunk: Buffer) => void>();

  const startHolding = (pair: Pair) => {
    pair.client.unpipe();
    pair.upstream?.unpipe();
    // The server side says nothing while paused; its socket stays unread.
    pair.upstream?.pause();
    const holder = hold(pair);
    holders.set(pair, holder);
    // unpipe() left the client paused: read it, to hold what it sends.
    pair.client.on('data', holder).resume();
  };
  const stopHolding = (pair: Pair) => {
    const holder = holders.get(pair);
    if (holder) pair.client.off('data', holder);
    holders.delete(pair);
    if (!pair.upstream) connectUpstream(pair);
    for (const chunk of pair.held.splice(0)) pair.upstream!.write(chunk);
    pair.client.pipe(pair.upstream!);
    pair.upstream!.pipe(pair.client);
  };
  const connectUpstream = (pair: Pair) => {
    const upstream = net.connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port) });
    pair.upstream = upstream;
    upstream.on('error', () => end(pair)).on('close', () => end(pair));
  };

  const server = net.createServer((client) => {
    const pair: Pair = { client, held: [] };
    pairs.add(pair);
    client.on('error', () => end(pair)).on('close', () => end(pair));
    if (paused) {
      startHolding(pair);
      return;
    }
    connectUpstream(pair);
    client.pipe(pair.upstream!);
    pair.upstream!.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port: listening } = server.address() as net.AddressInfo;

  return {
    url: `${protocol}//127.0.0.1:${listening}`,
    pause() {
      if (paused) return;
      paused = true;
      held = 0;
      for (const pair of pairs) startHolding(pair);
    },
    resume() {
      if (!paused) return;
      paused = false;
      for (const pair of pairs) stopHolding(pair);
    },
    heldSincePause: () => held,
    async close() {
      for (const pair of [...pairs]) end(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
