// Registering this machine's Node and keeping it alive, as a kubelet does: create the Node (or
// adopt the one a previous run left), write its status, renew its Lease in kube-node-lease every
// few seconds, and write the status again when it changes (or every minute, as a heartbeat of its
// conditions). A Node or Lease that disappears is registered again.
import { microTime } from '@skiff/api';
import { isStatusError, type Kernel, type KObject } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';
import type { CriRuntime, devices } from '@skiff/node-api';
import {
  LEASES, LEASE_NAMESPACE, NODES, adoptedNode, nodeObject, nodeStatus, statusChanged,
  type Condition, type NodeIdentity, type NodeImage, type RuntimeHealth,
} from './node-object.ts';

export interface NodeRegistrationOptions {
  leaseDurationSeconds: number;
  leaseRenewSeconds: number;
  statusUpdateSeconds: number;
  /** write the status at least this often even when nothing changed */
  statusReportSeconds: number;
}

const code = (e: unknown) => (isStatusError(e) ? e.code : undefined);

export class NodeRegistration {
  private stopped = false;
  private registered = false;
  private uid?: string;
  private lastStatus?: Record<string, unknown>;
  private lastWritten = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private busy = Promise.resolve();
  /** the Node as last read or written (spec.podCIDR for the network, taints) */
  node?: KObject;
  /** the pod CIDRs the runtime was last told (UpdateRuntimeConfig) */
  private toldPodCIDRs?: string;
  private unsubscribeDevices?: () => void;

  constructor(
    private readonly kernel: Kernel,
    private readonly cri: CriRuntime,
    private readonly id: NodeIdentity,
    private readonly opts: NodeRegistrationOptions,
    private readonly logger: Logger,
    /** the node's device manager: its extended resources are in the status, written when they change */
    private readonly devices?: devices.DeviceManager,
  ) {}

  /** Registers (retrying until it works or stop), then keeps the Node and its Lease fresh. */
  async start(): Promise<void> {
    await this.serial(() => this.register());
    // devices registered, gone or unhealthy: the status now, not at the next tick
    this.unsubscribeDevices = this.devices?.onChange(() => void this.serial(() => this.updateStatus(false)));
    this.timers.push(setInterval(() => void this.serial(() => this.renewLease()), this.opts.leaseRenewSeconds * 1000));
    this.timers.push(setInterval(() => void this.serial(() => this.updateStatus(false)), this.opts.statusUpdateSeconds * 1000));
    // while not Ready (the runtime's network comes up once the CNI config is written), look every second
    this.timers.push(setInterval(() => void (this.ready() ? undefined : this.serial(() => this.updateStatus(false))), 1_000));
  }

  private ready(): boolean {
    return ((this.lastStatus?.conditions as Condition[] | undefined) ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribeDevices?.();
    for (const t of this.timers) clearInterval(t);
  }

  private serial(f: () => Promise<void>): Promise<void> {
    const next = this.busy.then(async () => {
      if (this.stopped) return;
      try {
        await f();
      } catch (e) {
        if (!this.stopped) this.logger.warn('node registration step failed; will retry', { node: this.id.name, error: String(e) });
      }
    });
    this.busy = next;
    return next;
  }

  private async register(): Promise<void> {
    for (let delay = 200; !this.stopped; delay = Math.min(delay * 2, 7_000)) {
      try {
        let node: KObject;
        try {
          node = await this.kernel.create(NODES, nodeObject(this.id));
          this.logger.info('node registered', { node: this.id.name });
        } catch (e) {
          if (code(e) !== 409) throw e;
          const existing = await this.kernel.get(NODES, undefined, this.id.name);
          const adopted = adoptedNode(existing, this.id);
          adopted.metadata.resourceVersion = existing.metadata.resourceVersion; // a concurrent change: 409, retried
          node = await this.kernel.update(NODES, adopted);
          this.logger.info('node adopted (registered by an earlier run)', { node: this.id.name });
        }
        this.node = node;
        this.uid = node.metadata.uid;
        this.registered = true;
        this.lastStatus = undefined;
        await this.updateStatus(true);
        await this.writeLease();
        return;
      } catch (e) {
        this.logger.warn('node registration failed; retrying', { node: this.id.name, error: String(e), retryInMs: delay });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async writeLease(): Promise<void> {
    const spec = { holderIdentity: this.id.name, leaseDurationSeconds: this.opts.leaseDurationSeconds, renewTime: microTime() };
    const ownerReferences = this.uid ? [{ apiVersion: 'v1', kind: 'Node', name: this.id.name, uid: this.uid }] : undefined;
    try {
      await this.kernel.create(LEASES, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.id.name, namespace: LEASE_NAMESPACE, ownerReferences }, spec });
    } catch (e) {
      if (code(e) !== 409) throw e;
      await this.kernel.patch(LEASES, LEASE_NAMESPACE, this.id.name, 'merge', { metadata: { ownerReferences: ownerReferences ?? null }, spec });
    }
  }

  private async renewLease(): Promise<void> {
    if (!this.registered) return this.register();
    try {
      await this.kernel.patch(LEASES, LEASE_NAMESPACE, this.id.name, 'merge', {
        spec: { holderIdentity: this.id.name, leaseDurationSeconds: this.opts.leaseDurationSeconds, renewTime: microTime() },
      });
    } catch (e) {
      if (code(e) !== 404) throw e;
      this.logger.warn('lease gone; registering the node again', { node: this.id.name });
      this.registered = false;
      await this.register();
    }
  }

  private async runtimeHealth(): Promise<RuntimeHealth> {
    try {
      const [v, s] = await Promise.all([this.cri.version({ timeoutMs: 5_000 }), this.cri.status(false, { timeoutMs: 5_000 })]);
      const conds = s.status?.conditions ?? [];
      const bad = conds.filter((c) => (c.type === 'RuntimeReady' || c.type === 'NetworkReady') && !c.status);
      const message = bad.length
        ? bad.map((c) => `container runtime ${c.type === 'NetworkReady' ? 'network ' : ''}not ready: ${c.type}=false reason:${c.reason} message:${c.message}`).join('; ')
        : undefined;
      return { version: `${v.runtimeName}://${v.runtimeVersion}`, ready: bad.length === 0, message };
    } catch (e) {
      return { version: 'unknown://', ready: false, message: `container runtime is down: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  private async images(): Promise<NodeImage[]> {
    try {
      const list = await this.cri.listImages(undefined, { timeoutMs: 5_000 });
      return list
        .map((i) => ({ names: [...(i.repoDigests ?? []), ...(i.repoTags ?? [])], sizeBytes: Number(i.size) || 0 }))
        .filter((i) => i.names.length > 0)
        .sort((a, b) => b.sizeBytes - a.sizeBytes);
    } catch {
      return [];
    }
  }

  /**
   * Tells the runtime the Node's pod CIDRs once node IPAM gave them (kubelet's updatePodCIDR: CRI
   * UpdateRuntimeConfig). A runtime that configures its pod network from them starts handing out
   * pod addresses; containerd, whose network config the CNI plugin writes, only takes note.
   */
  private async updatePodCIDR(): Promise<void> {
    const spec = (this.node?.spec ?? {}) as { podCIDR?: string; podCIDRs?: string[] };
    const cidrs = (spec.podCIDRs?.length ? spec.podCIDRs : spec.podCIDR ? [spec.podCIDR] : []).join(',');
    if (!cidrs || cidrs === this.toldPodCIDRs) return;
    try {
      await this.cri.updateRuntimeConfig(cidrs, { timeoutMs: 5_000 });
      this.toldPodCIDRs = cidrs;
      this.logger.info('told the runtime the node\'s pod CIDR', { node: this.id.name, podCIDRs: cidrs });
    } catch (e) {
      this.logger.warn('the runtime did not take the node\'s pod CIDR; will retry', { node: this.id.name, podCIDRs: cidrs, error: String(e) });
    }
  }

  private async updateStatus(force: boolean): Promise<void> {
    if (!this.registered) return;
    if (this.toldPodCIDRs === undefined) {
      // until the runtime has the pod CIDR, read the Node each time: node IPAM gives it after the
      // registration, and a runtime waiting for it keeps the node NotReady (no status write to read it from)
      this.node = await this.kernel.get(NODES, undefined, this.id.name).catch(() => this.node);
      await this.updatePodCIDR();
    }
    const previous = ((this.lastStatus?.conditions as Condition[] | undefined) ?? []);
    const status = nodeStatus(this.id, await this.runtimeHealth(), await this.images(), previous, this.devices?.resources());
    const due = Date.now() - this.lastWritten >= this.opts.statusReportSeconds * 1000;
    if (!force && !due && !statusChanged(this.lastStatus, status)) return;
    try {
      this.node = await this.kernel.patch(NODES, undefined, this.id.name, 'merge', { status }, { subresource: 'status' });
      this.lastStatus = status;
      this.lastWritten = Date.now();
      await this.updatePodCIDR();
    } catch (e) {
      if (code(e) !== 404) throw e;
      this.logger.warn('node gone; registering it again', { node: this.id.name });
      this.registered = false;
      await this.register();
    }
  }
}
