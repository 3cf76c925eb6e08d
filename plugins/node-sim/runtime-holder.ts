// The CRI runtime node-sim provides (the fake runtime of @skiff/node-api/testing) lives as long as
// some version of the plugin runs, not as long as one instance: a hot reload starts the new version
// before it stops the old, and the containers a kubelet runs on it must survive that, as they
// survive a reload of cri-containerd (containerd is another process). Kept on globalThis by
// instance name, because a reloaded plugin bundle has module state of its own.
import { FakeRuntime, type FakeRuntimeOptions } from '@skiff/node-api/testing';

interface Held {
  runtime: FakeRuntime;
  users: number;
}

const KEY = Symbol.for('skiff.node-sim.runtimes');
const held = ((globalThis as Record<symbol, unknown>)[KEY] ??= new Map<string, Held>()) as Map<string, Held>;

/** The runtime of plugin instance `name` (made with `options` if none runs), and what releases it. */
export function acquireRuntime(name: string, options: FakeRuntimeOptions): { runtime: FakeRuntime; release(): void } {
  let h = held.get(name);
  if (!h) held.set(name, (h = { runtime: new FakeRuntime(options), users: 0 }));
  else h.runtime.latencyMs = { ...options.latencyMs }; // a reload may change the latencies
  h.users++;
  const entry = h;
  let released = false;
  return {
    runtime: h.runtime,
    release() {
      if (released) return;
      released = true;
      if (--entry.users > 0) return;
      entry.runtime.close();
      if (held.get(name) === entry) held.delete(name);
    },
  };
}
