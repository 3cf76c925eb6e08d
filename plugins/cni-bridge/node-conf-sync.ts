// Keeps the node's conflist in step with its Node object: list + watch the one Node (a field
// selector on its name), and whenever its pod CIDRs are known or change, build the conflist and
// write it (the writer skips identical content). Until the Node has a podCIDR (node IPAM assigns
// it after the node registers) nothing is written — containerd then reports the network as not
// ready, as it does for a kubelet whose CNI config has not been dropped yet. A deleted Node keeps
// its conflist: the pods still on the node need it for their DEL.
import { Informer, type Kernel, type KObject, type ResourceRef } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';
import type { CniConflist } from '@skiff/node-api';
import type { CniConfigWriter, WriteResult } from './cni-config-writer.ts';
import { buildConflist, podCIDRsOf, type BridgeNetworkOptions } from './conflist.ts';

export const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes' };

export interface NodeConfSyncOptions {
  nodeName: string;
  network: Omit<BridgeNetworkOptions, 'podCIDRs'>;
  retryMs?: number;
  /** after every write of the conflist (`r.changed`: its content changed) */
  onWrite?(podCIDRs: string[], r: WriteResult, conflist: CniConflist): void;
}

export class NodeConfSync {
  private stopped = false;
  private readonly informer: Informer;
  private readonly sleepers = new Set<() => void>();
  /** pod CIDRs of the newest Node seen, and of the conflist last written */
  private wanted?: string[];
  private written?: string;
  private writing?: Promise<void>;
  private waitingLogged = false;
  private onReady!: (cidrs: string[]) => void;
  /** resolves with the pod CIDRs once a conflist has been written for them */
  readonly ready: Promise<string[]>;
  writes = 0;

  constructor(
    private readonly kernel: Kernel,
    private readonly writer: CniConfigWriter,
    private readonly o: NodeConfSyncOptions,
    private readonly logger: Logger,
  ) {
    this.ready = new Promise((r) => (this.onReady = r));
    // the one Node, by a field selector on its name
    this.informer = new Informer(
      kernel,
      NODES,
      {
        reset: (items) => this.seen(items[0]),
        event: (type, node) => {
          if (type !== 'DELETED') this.seen(node);
          else this.logger.info('the Node was deleted; its CNI config stays for the pods still here', { node: this.o.nodeName });
        },
      },
      { fieldSelector: `metadata.name=${o.nodeName}`, logger, retryMs: o.retryMs ?? 1000 },
    );
    void this.informer.start();
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.informer.stop();
    for (const wake of this.sleepers) wake();
    return Promise.all([this.informer.done, this.writing]).then(() => {});
  }

  private seen(node: KObject | undefined): void {
    const cidrs = node ? podCIDRsOf(node.spec) : [];
    if (cidrs.length === 0) {
      if (!this.waitingLogged) {
        this.waitingLogged = true;
        this.logger.info(node ? 'waiting for the Node to get a podCIDR' : 'waiting for the Node to register', { node: this.o.nodeName });
      }
      return;
    }
    this.wanted = cidrs;
    void this.sync();
  }

  /** Write the wanted conflist; one write at a time, the newest wins. */
  private sync(): Promise<void> {
    if (this.writing) return this.writing;
    this.writing = (async () => {
      while (this.wanted && this.wanted.join(',') !== this.written && !this.stopped) {
        const cidrs = this.wanted;
        let conflist;
        try {
          conflist = buildConflist({ ...this.o.network, podCIDRs: cidrs });
        } catch (e) {
          // a podCIDR the plugins cannot use: say so once, keep the current file, wait for a change
          this.logger.warn('cannot build a CNI config for the Node\'s pod CIDRs; keeping the current one', { node: this.o.nodeName, podCIDRs: cidrs, error: String(e) });
          this.written = cidrs.join(',');
          break;
        }
        try {
          const r = await this.writer.write(conflist);
          this.written = cidrs.join(',');
          this.writes++;
          if (r.changed || r.removed.length) {
            this.logger.info('wrote the CNI config', { node: this.o.nodeName, podCIDRs: cidrs, path: r.path, removedStale: r.removed });
          }
          if (r.shadowedBy.length) {
            this.logger.warn('other CNI configs sort before Skiff\'s: containerd loads only the first one, so pods would not get the Skiff network', { confDir: this.writer.confDir, files: r.shadowedBy });
          }
          this.o.onWrite?.(cidrs, r, conflist);
          this.onReady(cidrs);
        } catch (e) {
          this.logger.warn('could not write the CNI config; will retry', { node: this.o.nodeName, podCIDRs: cidrs, error: String(e) });
          await this.pause();
        }
      }
    })().finally(() => (this.writing = undefined));
    return this.writing;
  }

  private pause(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, this.o.retryMs ?? 1000);
      timer.unref();
      this.sleepers.add(wake);
    });
  }
}
