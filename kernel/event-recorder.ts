// core/v1 Events about any object, as client-go's event recorder writes them (in the object's
// namespace, "default" for cluster-scoped ones; involvedObject the object). A repeat of the same
// event (object, type, reason, message) bumps the `count` and `lastTimestamp` of one Event instead
// of creating another. Writes are asynchronous, one at a time, and never throw: a failure is
// logged. (ctx.recordEvent, for events about a plugin itself, is kernel/plugins/plugin-events.ts.)
import { randomBytes } from 'node:crypto';
import type { Logger } from './plugins/tokens.ts';
import { now } from './object-lifecycle.ts';
import type { Kernel, KObject, ResourceRef } from './types.ts';

const EVENTS: ResourceRef = { group: '', version: 'v1', resource: 'events' };
/** where events about cluster-scoped objects go, as Kubernetes puts them */
const CLUSTER_EVENT_NAMESPACE = 'default';

export interface ObjectEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

interface Series {
  name: string;
  count: number;
}

const code = (e: unknown) => (e as { code?: number })?.code;

export interface EventRecorderOptions {
  /** `source.host` (a kubelet's node name) */
  host?: string;
  /** distinct series remembered for count bumps (the least recently used are forgotten) */
  maxSeries?: number;
}

export class EventRecorder {
  private readonly series = new Map<string, Series>();
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly kernel: Kernel,
    /** `source.component` / `reportingComponent` */
    private readonly component: string,
    private readonly logger: Logger,
    private readonly opts: EventRecorderOptions = {},
  ) {}

  /** Record `event` about `obj` (written soon). */
  record(obj: KObject, event: ObjectEvent): void {
    if (this.stopped) return;
    this.chain = this.chain.then(() => this.write(obj, event)).catch((e) => {
      this.logger.warn('could not record an event', { kind: obj.kind, name: obj.metadata.name, reason: event.reason, error: String(e) });
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

  private async write(obj: KObject, ev: ObjectEvent): Promise<void> {
    const name = obj.metadata.name ?? '';
    const namespace = obj.metadata.namespace || CLUSTER_EVENT_NAMESPACE;
    const key = [obj.kind, namespace, name, obj.metadata.uid ?? '', ev.type, ev.reason, ev.message].join('\0');
    const stamp = now();
    const known = this.series.get(key);
    if (known) {
      known.count++;
      this.series.delete(key); // most recently used last
      this.series.set(key, known);
      try {
        await this.kernel.patch(EVENTS, namespace, known.name, 'merge', { count: known.count, lastTimestamp: stamp }, { fieldManager: this.component });
        return;
      } catch (e) {
        if (code(e) !== 404) throw e;
        this.series.delete(key); // deleted meanwhile (TTL, a user): start a new one
      }
    }
    const eventName = `${name}.${Date.now().toString(16)}${randomBytes(2).toString('hex')}`;
    await this.kernel.create(EVENTS, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: eventName, namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name,
        ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
        ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
      },
      reason: ev.reason,
      message: ev.message,
      type: ev.type,
      source: { component: this.component, ...(this.opts.host ? { host: this.opts.host } : {}) },
      reportingComponent: this.component,
      count: 1,
      firstTimestamp: stamp,
      lastTimestamp: stamp,
    }, { fieldManager: this.component });
    this.series.set(key, { name: eventName, count: 1 });
    while (this.series.size > (this.opts.maxSeries ?? 1024)) this.series.delete(this.series.keys().next().value as string);
  }
}
