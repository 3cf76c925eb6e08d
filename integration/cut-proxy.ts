// A TCP proxy on loopback between a client and a server, for tests of what a client does when its
// connections break: cut() destroys every open connection (both ends), hold() makes new connections
// wait (accepted, not yet forwarded) until release(). TLS passes through untouched.
import { createServer, connect, type Server, type Socket } from 'node:net';

export class CutProxy {
  private readonly server: Server;
  private readonly open = new Set<Socket>();
  private held: Socket[] = [];
  private holding = false;
  /** connections accepted so far, and those that waited in hold() */
  accepted = 0;
  heldTotal = 0;

  constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => {
      this.accepted++;
      this.open.add(client);
      client.once('close', () => this.open.delete(client));
      client.on('error', () => {});
      if (this.holding) {
        this.heldTotal++;
        client.pause();
        this.held.push(client);
      } else this.forward(client);
    });
  }

  private forward(client: Socket): void {
    if (client.destroyed) return;
    const upstream = connect(this.target);
    this.open.add(upstream);
    upstream.once('close', () => (this.open.delete(upstream), client.destroy()));
    client.once('close', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as { port: number }).port;
  }

  /** Destroys every connection through the proxy (and those held). */
  cut(): void {
    for (const s of this.open) s.destroy();
    this.held = [];
  }

  hold(): void {
    this.holding = true;
  }

  /** Connections waiting in hold() now (still open). */
  waiting(): number {
    return this.held.filter((s) => !s.destroyed).length;
  }

  /** Forwards what waited and stops holding. */
  release(): void {
    this.holding = false;
    const held = this.held;
    this.held = [];
    for (const c of held) this.forward(c);
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((r) => this.server.close(r));
  }
}
