// Keeping registered nodes alive: the Lease in kube-node-lease (taken over at registration, renewed
// every leaseIntervalSeconds) and the occasional node status heartbeat. A lease that is gone (404)
// sends its node back to registration, as a kubelet would.
import { LEASES, LEASE_NAMESPACE, NODES, leaseObject, nodeConditions, nowMicro, nowSeconds } from './objects.ts';
import type { NodeState } from './nodes.ts';
import type { Limiter } from './pacing.ts';
import { code, type Runtime } from './runtime.ts';

/** Create the lease, or take over an existing one (holder, owner, renewTime). */
export async function writeLease(rt: Runtime, n: NodeState, exists: boolean): Promise<void> {
  const lease = leaseObject(n.spec, n.uid, rt.config.leaseDurationSeconds);
  if (!exists) {
    try {
      await rt.kernel.create(LEASES, lease);
      return;
    } catch (e) {
      if (code(e) !== 409) throw e;
    }
  }
  await rt.kernel.patch(LEASES, LEASE_NAMESPACE, n.spec.name, 'merge', { metadata: { ownerReferences: lease.metadata.ownerReferences ?? null }, spec: lease.spec });
}

export class Leases {
  constructor(
    private readonly rt: Runtime,
    /** lease renewals and heartbeats in flight */
    private readonly limit: Limiter,
    /** register a node again (its lease is gone) */
    private readonly reregister: (n: NodeState) => Promise<void>,
  ) {}

  renew(n: NodeState): void {
    const rt = this.rt;
    if (rt.stopped || !n.registered || n.leaseBusy) return;
    n.leaseBusy = true;
    const renew = async () => {
      try {
        await rt.kernel.patch(LEASES, LEASE_NAMESPACE, n.spec.name, 'merge', {
          spec: { holderIdentity: n.spec.name, leaseDurationSeconds: rt.config.leaseDurationSeconds, renewTime: nowMicro() },
        });
        rt.counters.leaseRenewals++;
      } catch (e) {
        if (rt.stopped) return;
        rt.counters.errors++;
        if (code(e) === 404) {
          // the lease (or the node with it) is gone: register again, as a kubelet would
          rt.warnThrottled('lease-gone', 'lease gone; re-registering node', { node: n.spec.name });
          n.registered = false;
          await this.reregister(n);
        } else rt.warnThrottled('lease', 'lease renewal failed', { node: n.spec.name, error: String(e) });
      } finally {
        n.leaseBusy = false;
      }
    };
    void rt.track(this.limit.run(renew));
  }

  heartbeat(n: NodeState): void {
    const rt = this.rt;
    if (rt.stopped || !n.registered || n.statusBusy) return;
    n.statusBusy = true;
    const beat = async () => {
      try {
        await rt.kernel.patch(NODES, undefined, n.spec.name, 'merge', { status: { conditions: nodeConditions(nowSeconds(), n.transition) } }, { subresource: 'status' });
        rt.counters.nodeHeartbeats++;
      } catch (e) {
        if (rt.stopped) return;
        rt.counters.errors++;
        rt.warnThrottled('heartbeat', 'node status heartbeat failed', { node: n.spec.name, error: String(e) });
      } finally {
        n.statusBusy = false;
      }
    };
    void rt.track(this.limit.run(beat));
  }
}
