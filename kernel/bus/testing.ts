// Test fixture: a nats-server, a kernel on one connection serving the bus, a client on another.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { SkiffKernel } from '../kernel.ts';
import { startNatsServer, type EmbeddedNats } from '../store/nats-server.ts';
import type { KObject, Watch, WatchEvent } from '../types.ts';
import { serveKernelBus, type BusServer, type BusServerOptions } from './server.ts';
import { connectKernel, type KernelBusClient, type KernelClientOptions } from './client.ts';

export interface BusFixture {
  nats: EmbeddedNats;
  serverNc: NatsConnection;
  clientNc: NatsConnection;
  kernel: SkiffKernel;
  bus: BusServer;
  client: KernelBusClient;
  stop(): Promise<void>;
}

export async function startBusFixture(
  opts: { eventsPerResource?: number; server?: BusServerOptions; client?: KernelClientOptions } = {},
): Promise<BusFixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-bus-'));
  const nats = await startNatsServer({ dataDir });
  const serverNc = await connect({ servers: nats.url, name: 'kernel' });
  const clientNc = await connect({ servers: nats.url, name: 'plugin' });
  const kernel = await SkiffKernel.start({ nc: serverNc, eventsPerResource: opts.eventsPerResource });
  const bus = await serveKernelBus(serverNc, kernel, opts.server);
  const client = await connectKernel(clientNc, opts.client);
  return {
    nats,
    serverNc,
    clientNc,
    kernel,
    bus,
    client,
    async stop() {
      await client.close().catch(() => {});
      await bus.stop();
      kernel.stop();
      await clientNc.close();
      await serverNc.close();
      await nats.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Collect `n` events from a watch (or until it ends), failing after `ms`. */
export async function take(w: Watch, n: number, ms = 5000): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  const it = w[Symbol.asyncIterator]();
  const deadline = Date.now() + ms;
  while (out.length < n) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out after ${out.length}/${n} events: ${JSON.stringify(out.map((e) => e.type))}`);
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      it.next(),
      new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`timed out after ${out.length}/${n} events`)), left))),
    ]).finally(() => clearTimeout(timer));
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

export const ns = (name: string): KObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
export const cm = (name: string, data: Record<string, string> = {}, namespace = 'default'): KObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data,
});
export const pod = (name: string, image?: string): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', ...(image ? { image } : {}) }] },
});

export const NS = { group: '', version: 'v1', resource: 'namespaces' };
export const CM = { group: '', version: 'v1', resource: 'configmaps' };
export const POD = { group: '', version: 'v1', resource: 'pods' };

/** p-th percentile (0..100) of a list of numbers. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
