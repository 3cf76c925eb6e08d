// The simulated Nodes themselves: per-node state, registration (create, or adopt what a previous
// run left, then status and lease), retried until it succeeds, and removal on stop.
import type { KObject } from '@skiff/kernel';
import type { NodeSpec } from './config.ts';
import { writeLease } from './leases.ts';
import { LEASES, LEASE_NAMESPACE, NODES, adoptNode, nodeIP, nodeObject, nodeStatus, nowSeconds, podCIDRBase } from './objects.ts';
import { Limiter } from './pacing.ts';
import { code, type Runtime } from './runtime.ts';

export interface NodeState {
  spec: NodeSpec;
  hostIP: string;
  podBase: number;
  uid?: string;
  registered: boolean;
  transition: string;
  leaseBusy: boolean;
  statusBusy: boolean;
  /** host parts (2..254) of the pod IPs in use */
  ipsUsed: Set<number>;
  ipNext: number;
}

export function nodeState(spec: NodeSpec): NodeState {
  return {
    spec,
    hostIP: nodeIP(spec.index),
    podBase: podCIDRBase(spec.index),
    registered: false,
    transition: nowSeconds(),
    leaseBusy: false,
    statusBusy: false,
    ipsUsed: new Set(),
    ipNext: 2,
  };
}

export class Registrar {
  constructor(
    private readonly rt: Runtime,
    /** registrations in flight (retries queue here too) */
    readonly limit: Limiter,
  ) {}

  async register(n: NodeState, existing: KObject | undefined, leaseExists: boolean): Promise<void> {
    const rt = this.rt;
    if (rt.stopped) return;
    const s = n.spec;
    try {
      let node: KObject | undefined;
      if (!existing) {
        try {
          n.transition = nowSeconds();
          node = await rt.kernel.create(NODES, nodeObject(s));
        } catch (e) {
          if (code(e) !== 409) throw e;
          existing = await rt.kernel.get(NODES, undefined, s.name);
        }
      }
      if (existing) {
        rt.counters.adopted++;
        node = await rt.kernel.update(NODES, adoptNode(existing, s));
        const ready = ((existing.status as { conditions?: { type: string; status: string; lastTransitionTime?: string }[] })?.conditions ?? []).find(
          (c) => c.type === 'Ready',
        );
        n.transition = ready?.status === 'True' && ready.lastTransitionTime ? ready.lastTransitionTime : nowSeconds();
      }
      n.uid = node!.metadata.uid;
      await rt.kernel.update(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: s.name }, status: nodeStatus(s, n.transition) }, { subresource: 'status' });
      await writeLease(rt, n, leaseExists);
      n.registered = true;
    } catch (e) {
      rt.counters.errors++;
      rt.warnThrottled('register', 'node registration failed; retrying', { node: s.name, error: String(e) });
      if (!rt.stopped) rt.timers.add(setTimeout(() => void this.limit.run(() => this.register(n, undefined, false)), 2000).unref());
    }
  }

  /** Delete the Leases and Nodes (a 404 is fine). */
  async deleteAll(nodes: NodeState[]): Promise<void> {
    const rt = this.rt;
    const limit = new Limiter(rt.config.registerConcurrency);
    await Promise.all(
      nodes.map((n) =>
        limit.run(async () => {
          for (const [ref, ns] of [[LEASES, LEASE_NAMESPACE], [NODES, undefined]] as const) {
            await rt.kernel.delete(ref, ns, n.spec.name).catch((e) => {
              if (code(e) !== 404) rt.logger.warn('delete failed', { node: n.spec.name, resource: ref.resource, error: String(e) });
            });
          }
          n.registered = false;
        }),
      ),
    );
  }
}
