// Test support: a real nats-server in a temp dir and a kernel on it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { SkiffKernel, type KernelOptions } from './kernel.ts';
import { startNatsServer, type EmbeddedNats } from './store/nats-server.ts';

export interface TestKernel {
  kernel: SkiffKernel;
  nats: EmbeddedNats;
  nc: NatsConnection;
  dir: string;
  /** a second kernel on the same store (a restart, or another replica) */
  restart(opts?: Partial<KernelOptions>): Promise<SkiffKernel>;
  stop(): Promise<void>;
}

export async function startTestKernel(opts: Partial<KernelOptions> = {}): Promise<TestKernel> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-test-'));
  const nats = await startNatsServer({ dataDir: dir });
  const nc = await connect({ servers: nats.url, noAsyncTraces: true });
  const secretKey = opts.secretKey ?? Buffer.alloc(32, 7);
  const kernels: SkiffKernel[] = [];
  const kernel = await SkiffKernel.start({ nc, secretKey, ...opts });
  kernels.push(kernel);
  await kernel.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  return {
    kernel,
    nats,
    nc,
    dir,
    async restart(more = {}) {
      const k = await SkiffKernel.start({ nc, secretKey, ...opts, ...more });
      kernels.push(k);
      return k;
    },
    async stop() {
      for (const k of kernels) k.stop();
      await nc.close();
      await nats.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll `fn` until it returns a truthy value; throw (with the last error seen) after `timeoutMs`. */
export async function eventually<T>(
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  timeoutMs = 15_000,
  what = 'condition',
  pollMs = 25,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(pollMs);
  }
}
