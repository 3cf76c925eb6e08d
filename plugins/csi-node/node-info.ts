// Keeps the node's objects in line with the registered CSI drivers, as kubelet's nodeinfomanager
// does: the CSINode (storage.k8s.io/v1, named after the node, owned by the Node) lists each driver
// with its nodeID, topologyKeys and allocatable.count; the Node carries the annotation
// csi.volume.kubernetes.io/nodeid (a JSON map driver → node ID) and each driver's topology segments
// as labels. A sync that fails (Node not registered yet, a conflict, CSINode not served yet) is
// retried after a delay; syncs are coalesced.
import { isConflict, isNotFound, type KObject } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';
import type { CsiDriverRegistry } from './registry.ts';

export const NODES = { group: '', version: 'v1', resource: 'nodes' } as const;
export const CSI_NODES = { group: 'storage.k8s.io', version: 'v1', resource: 'csinodes' } as const;
export const NODE_ID_ANNOTATION = 'csi.volume.kubernetes.io/nodeid';

export interface CsiNodeDriver {
  name: string;
  nodeID: string;
  topologyKeys: string[] | null;
  allocatable?: { count: number };
}

export class NodeInfoSync {
  /** label keys of drivers that left, to remove unless another driver still has them */
  private readonly staleKeys = new Set<string>();
  private running?: Promise<void>;
  private again = false;
  private retry?: NodeJS.Timeout;
  private stopped = false;
  private warnedKind = false;

  constructor(
    private readonly kernel: Kernel,
    private readonly nodeName: string,
    private readonly registry: CsiDriverRegistry,
    private readonly logger: Logger,
    private readonly retryMs = 2000,
  ) {}

  /** A driver left: its topology label keys are to go. */
  forget(keys: string[]): void {
    for (const k of keys) this.staleKeys.add(k);
  }

  /** Syncs soon (coalesced); returns when that sync is done. */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    clearTimeout(this.retry);
    this.running = this.sync()
      .catch((e: unknown) => {
        // the kubelet registers the Node, maybe after a driver registered here: not yet is no failure
        const log = isNotFound(e) ? this.logger.debug : this.logger.warn;
        log.call(this.logger, 'CSINode / Node sync failed; retrying', { node: this.nodeName, error: String((e as Error)?.message ?? e) });
        this.retry = setTimeout(() => void this.kick(), this.retryMs);
        this.retry.unref();
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          void this.kick();
        }
      });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.running;
  }

  /** The CSINode's spec.drivers for the registered drivers. */
  drivers(): CsiNodeDriver[] {
    return this.registry.list().map((d) => ({
      name: d.name,
      nodeID: d.nodeId,
      topologyKeys: d.topologyKeys.length ? d.topologyKeys : null,
      ...(d.maxVolumesPerNode > 0 ? { allocatable: { count: d.maxVolumesPerNode } } : {}),
    }));
  }

  private async sync(): Promise<void> {
    const node = await this.kernel.get(NODES, undefined, this.nodeName);
    await this.syncNode(node);
    await this.syncCsiNode(node);
  }

  private async syncNode(node: KObject): Promise<void> {
    const ids: Record<string, string> = {};
    const labels: Record<string, string | null> = {};
    for (const d of this.registry.list()) {
      ids[d.name] = d.nodeId;
      Object.assign(labels, this.registry.segmentsOf(d.name));
    }
    for (const k of this.staleKeys) if (!(k in labels) && node.metadata.labels?.[k] !== undefined) labels[k] = null;
    const annotation = Object.keys(ids).length ? JSON.stringify(ids) : null;
    const current = node.metadata.annotations?.[NODE_ID_ANNOTATION] ?? null;
    const labelChanges = Object.entries(labels).filter(([k, v]) => (node.metadata.labels?.[k] ?? null) !== v);
    if (annotation === current && !labelChanges.length) return void this.staleKeys.clear();
    await this.kernel.patch(NODES, undefined, this.nodeName, 'merge', {
      metadata: { annotations: { [NODE_ID_ANNOTATION]: annotation }, ...(labelChanges.length ? { labels: Object.fromEntries(labelChanges) } : {}) },
    });
    this.staleKeys.clear();
  }

  private async syncCsiNode(node: KObject): Promise<void> {
    try {
      this.kernel.kindFor(CSI_NODES);
    } catch {
      if (!this.warnedKind) this.logger.warn('CSINode (storage.k8s.io/v1) is not served; the node has no CSINode until it is', { node: this.nodeName });
      this.warnedKind = true;
      throw new Error('CSINode is not served');
    }
    const drivers = this.drivers();
    const ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid: node.metadata.uid! }];
    let existing: KObject | undefined;
    try {
      existing = await this.kernel.get(CSI_NODES, undefined, this.nodeName);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (!existing) {
      await this.kernel.create(CSI_NODES, { apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', metadata: { name: this.nodeName, ownerReferences }, spec: { drivers } });
      return;
    }
    const spec = (existing as KObject & { spec?: { drivers?: unknown } }).spec;
    if (JSON.stringify(spec?.drivers ?? []) === JSON.stringify(drivers)) return;
    try {
      await this.kernel.update(CSI_NODES, { ...existing, spec: { ...spec, drivers } } as KObject);
    } catch (e) {
      if (isConflict(e)) this.again = true;
      else throw e;
    }
  }
}
