// core/v1 Events about Nodes, as kube-controller-manager's event recorder writes them (in the
// "default" namespace, involvedObject the Node). A repeat of the same event (node, type, reason,
// message) bumps the `count` and `lastTimestamp` of one Event instead of creating another. Writes
// are asynchronous, one at a time, and never throw: a failure is logged.
//
// (ctx.recordEvent only records events about the plugin itself; nothing in the kernel writes
// events about other objects, so this is the node controllers' own small recorder.)
import { randomBytes } from 'node:crypto';
import type { Kernel, KObject, ResourceRef } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';

export const EVENTS: ResourceRef = { group: '', version: 'v1', resource: 'events' };
/** Node events live in "default", as Kubernetes puts them. */
export const NODE_EVENT_NAMESPACE = 'default';

export interface NodeEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

interface Series {
  name: string;
  count: number;
}

const stamp = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const code = (e: unknown) => (e as { code?: number })?.code;

export class NodeEventRecorder {
  private readonly series = new Map<string, Series>();
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly kernel: Kernel,
    private readonly component: string,
    private readonly logger: Logger,
    private readonly maxSeries = 1024,
  ) {}

  /** Record `event` about `node` (written soon). */
  record(node: KObject, event: NodeEvent): void {
    if (this.stopped) return;
    this.chain = this.chain.then(() => this.write(node, event)).catch((e) => {
      this.logger.warn('could not record a node event', { node: node.metadata.name, reason: event.reason, error: String(e) });
    });
  }

  /** Resolves when every event recorded so far has been written (or has failed). */
  flush(): Promise<void> {
    return this.chain;
  }

  /** Record nothing more; resolves when the writes in flight are done. */
  stop(): Promise<void> {
    this.stopped = true;
    return this.chain;
  }

  private async write(node: KObject, ev: NodeEvent): Promise<void> {
    const nodeName = node.metadata.name ?? '';
    const key = [nodeName, node.metadata.uid ?? '', ev.type, ev.reason, ev.message].join('\0');
    const now = stamp();
    const known = this.series.get(key);
    if (known) {
      known.count++;
      this.series.delete(key); // most recently used last
      this.series.set(key, known);
      try {
        await this.kernel.patch(EVENTS, NODE_EVENT_NAMESPACE, known.name, 'merge', { count: known.count, lastTimestamp: now }, { fieldManager: this.component });
        return;
      } catch (e) {
        if (code(e) !== 404) throw e;
        this.series.delete(key); // deleted meanwhile (TTL, a user): start a new one
      }
    }
    const name = `${nodeName}.${Date.now().toString(16)}${randomBytes(2).toString('hex')}`;
    await this.kernel.create(EVENTS, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: NODE_EVENT_NAMESPACE },
      involvedObject: { apiVersion: 'v1', kind: 'Node', name: nodeName, ...(node.metadata.uid ? { uid: node.metadata.uid } : {}) },
      reason: ev.reason,
      message: ev.message,
      type: ev.type,
      source: { component: this.component },
      reportingComponent: this.component,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
    }, { fieldManager: this.component });
    this.series.set(key, { name, count: 1 });
    while (this.series.size > this.maxSeries) this.series.delete(this.series.keys().next().value as string);
  }
}
