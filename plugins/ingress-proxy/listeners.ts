// Listening sockets shared across plugin versions. A hot reload starts the new version beside the old
// one; with a fixed port (80, 443) the new one could not bind while the old one listens. So servers
// live in a process-wide registry by address: a new ProxyServer on the same address takes the
// running server over (its handler becomes the one called; connections stay open), the old one's
// requests in flight finish on the old handler, and the server closes when its last holder lets go.
// Found through globalThis, as a reloaded bundle has its own copy of this module.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { SecureContext } from 'node:tls';

export interface ListenerOwner {
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void;
  /** HTTPS: the certificate for an SNI name */
  sni?(servername: string): SecureContext;
}

interface Entry {
  server: Server | HttpsServer;
  owner: ListenerOwner;
  holders: number;
  address: AddressInfo;
}

export interface ListenerLease {
  address: AddressInfo;
  /** Let go (once); the last holder closes the server (connections still open get `graceMs`). */
  release(graceMs: number): Promise<void>;
}

const REGISTRY = Symbol.for('skiff.ingress-proxy.listeners');
const registry = (): Map<string, Entry> => ((globalThis as Record<symbol, unknown>)[REGISTRY] ??= new Map<string, Entry>()) as Map<string, Entry>;
const keyOf = (proto: string, host: string, port: number) => `${proto}://${host}:${port}`;

/**
 * Listen on `host:port` for `owner`: a server of this process already there is taken over; else
 * `create()` makes one (its handlers must call `current(server)`'s methods) and it is bound.
 */
export async function acquireListener(
  proto: 'http' | 'https',
  host: string,
  port: number,
  owner: ListenerOwner,
  create: (current: () => ListenerOwner) => Server | HttpsServer,
): Promise<ListenerLease> {
  const reg = registry();
  let entry = port !== 0 ? reg.get(keyOf(proto, host, port)) : undefined;
  if (entry) {
    entry.owner = owner;
    entry.holders++;
  } else {
    const e: Partial<Entry> = { owner, holders: 1 };
    const server = create(() => e.owner!);
    e.server = server;
    e.address = await new Promise<AddressInfo>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve(server.address() as AddressInfo);
      });
    });
    entry = e as Entry;
    reg.set(keyOf(proto, host, entry.address.port), entry);
  }
  const held = entry;
  let released = false;
  return {
    address: held.address,
    async release(graceMs) {
      if (released) return;
      released = true;
      if (--held.holders > 0) return;
      reg.delete(keyOf(proto, host, held.address.port));
      const s = held.server;
      const closed = new Promise<void>((r) => s.close(() => r()));
      s.closeIdleConnections();
      const timer = setTimeout(() => s.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}
