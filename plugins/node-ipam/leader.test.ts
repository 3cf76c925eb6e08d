// A leader change never hands a block out twice: the old leader fails to write y's block, gives the
// block to x (made after y) and stops; the new leader's node informer lags (it shows y, unchanged and
// so writable, before x's podCIDR), so only the fresh list it rebuilds its allocator from when it
// starts leading tells it x's block is taken.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kernel, KObject, ResourceRef, Watch, WatchEvent } from '@skiff/kernel';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import descriptor from './plugin.ts';

const NODES = { group: '', version: 'v1', resource: 'nodes' };
const LAG = 3000;
let t: TestKernel;
let k2: Kernel & { stop(): void };
const hosts: PluginHost[] = [];

beforeAll(async () => {
  t = await startTestKernel();
  await t.kernel.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } });
  k2 = (await t.restart()) as Kernel & { stop(): void };
});
afterAll(async () => {
  for (const h of hosts) await h.stopAll();
  k2?.stop();
  await t?.stop();
});

/** `kernel` with every method bound, and some replaced. */
function wrap(kernel: Kernel, over: Partial<Kernel>): Kernel {
  return new Proxy(kernel, {
    get(target, prop, receiver) {
      if (prop in over) return over[prop as keyof Kernel];
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** Watch events delivered `lag` ms late, in order (a slow link; reads and writes as usual). */
function slowWatches(kernel: Kernel, lag: number): Kernel {
  return wrap(kernel, {
    watch(ref: ResourceRef, opts?: Parameters<Kernel['watch']>[1]): Watch {
      const inner = kernel.watch(ref, opts);
      const ready: WatchEvent[] = [];
      let wake: (() => void) | undefined;
      let done = false;
      void (async () => {
        for await (const e of inner) setTimeout(() => (ready.push(e), wake?.()), lag);
        setTimeout(() => ((done = true), wake?.()), lag);
      })();
      return {
        stop: () => inner.stop(),
        async *[Symbol.asyncIterator]() {
          for (;;) {
            while (ready.length) yield ready.shift()!;
            if (done) return;
            await new Promise<void>((r) => (wake = r));
          }
        },
      };
    },
  });
}

async function startOn(kernel: Kernel): Promise<PluginHost> {
  const host = new PluginHost({ kernel, logger: createConsoleLogger({ level: 'silent' }) });
  hosts.push(host);
  await host.load([{ descriptor, config: { leaseDurationSeconds: 3, retrySeconds: 2 } }]);
  return host;
}

const cidrOf = async (name: string) => ((await t.kernel.get(NODES, undefined, name)).spec as { podCIDR?: string } | undefined)?.podCIDR;
const node = (name: string): KObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } });

describe('node-ipam under leader election', () => {
  it('a new leader whose informer lags hands out no block the old leader gave', async () => {
    // the old leader's writes for y fail (y waits for a retry), so x, made after y, gets the first block
    const kA = wrap(t.kernel, {
      async update(ref, obj, opts) {
        if (ref.resource === 'nodes' && obj.metadata.name === 'y') throw new Error('connection reset');
        return t.kernel.update(ref, obj, opts);
      },
    });
    const a = await startOn(kA);
    await eventually(() => a.runtime('node-ipam')?.leading === true, 8000, 'a leads');
    const b = await startOn(slowWatches(k2, LAG));
    await t.kernel.create(NODES, node('y'));
    await eventually(() => (a.runtime('node-ipam')?.failures as number) > 0, 8000, 'a fails to write y');
    await t.kernel.create(NODES, node('x'));
    expect(await eventually(() => cidrOf('x'), 8000, 'a gives x a block')).toBe('10.244.0.0/24');
    // a stops before it tries y again; b leads, and its informer shows y (unchanged since it was
    // made, so a write to it succeeds) long before x's podCIDR
    await a.stopAll();
    expect(await eventually(() => cidrOf('y'), 15_000, 'b gives y a block')).toBe('10.244.1.0/24');
    expect(await cidrOf('x')).toBe('10.244.0.0/24');
    expect(b.runtime('node-ipam')).toMatchObject({ leading: true, allocated: 1 });
  });
});
