// The CSI drivers registered with this node: what the `skiff.io/csi` plugin provides as
// CsiDriversToken (a client per driver, the list CSINode is made of, and change notifications).
import type { csi } from '@skiff/node-api';
import type { CsiDriverClientImpl } from './csi-client.ts';

interface Entry {
  driver: csi.RegisteredCsiDriver;
  client: CsiDriverClientImpl;
  /** the registration socket it came through */
  socket: string;
  /** NodeGetInfo's accessible topology (the Node's topology labels) */
  segments: Record<string, string>;
}

export class CsiDriverRegistry implements csi.CsiDrivers {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<(e: csi.CsiDriverEvent) => void>();

  get(name: string): csi.CsiDriverClient | undefined {
    return this.entries.get(name)?.client;
  }

  list(): csi.RegisteredCsiDriver[] {
    return [...this.entries.values()].map((e) => e.driver).sort((a, b) => a.name.localeCompare(b.name));
  }

  onChange(listener: (event: csi.CsiDriverEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The registration socket driver `name` came through. */
  socketOf(name: string): string | undefined {
    return this.entries.get(name)?.socket;
  }

  /** Adds (or replaces: a driver that registers again, restarted) a driver. */
  add(driver: csi.RegisteredCsiDriver, client: CsiDriverClientImpl, socket: string, segments: Record<string, string>): void {
    const old = this.entries.get(driver.name);
    if (old) old.client.close();
    this.entries.set(driver.name, { driver, client, socket, segments });
    this.emit({ type: 'Registered', driver });
  }

  /** The topology segments of driver `name` (NodeGetInfo's). */
  segmentsOf(name: string): Record<string, string> {
    return { ...this.entries.get(name)?.segments };
  }

  remove(name: string): csi.RegisteredCsiDriver | undefined {
    const e = this.entries.get(name);
    if (!e) return undefined;
    this.entries.delete(name);
    e.client.close();
    this.emit({ type: 'Deregistered', driver: e.driver });
    return e.driver;
  }

  clear(): void {
    for (const name of [...this.entries.keys()]) this.remove(name);
  }

  private emit(event: csi.CsiDriverEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // a listener's failure is its own
      }
    }
  }
}
