// List, then watch from the list's resourceVersion (a client-go reflector without a cache). When
// the watch reports an ERROR (410 Gone: too old, or the watcher fell behind) or fails, list again
// after a pause and hand the whole list over, so changes missed in between are seen; a watch that
// ends cleanly (server-side timeout) resumes from the last resourceVersion seen.
import type { Kernel, KObject, ListOptions, ResourceRef, Watch } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';

export interface InformerHandlers {
  /** The full current state: after the first list and after every re-list. */
  reset(items: readonly KObject[]): void;
  event(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KObject): void;
}

export class Informer {
  private watch?: Watch;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private wake?: () => void;
  private onSynced!: () => void;
  /** resolves once the first list has been handed over (never, if stopped before) */
  readonly synced: Promise<void>;
  readonly done: Promise<void>;

  constructor(
    private readonly kernel: Kernel,
    private readonly ref: ResourceRef,
    private readonly handlers: InformerHandlers,
    private readonly logger: Logger,
    private readonly opts: Pick<ListOptions, 'fieldSelector' | 'labelSelector'> & { retryMs?: number } = {},
  ) {
    this.synced = new Promise((r) => (this.onSynced = r));
    this.done = this.run();
  }

  stop(): void {
    this.stopped = true;
    this.watch?.stop();
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
  }

  private async run(): Promise<void> {
    const { fieldSelector, labelSelector } = this.opts;
    const sel = { ...(fieldSelector ? { fieldSelector } : {}), ...(labelSelector ? { labelSelector } : {}) };
    let rv: string | undefined; // undefined: list first
    while (!this.stopped) {
      try {
        if (rv === undefined) {
          const list = await this.kernel.list(this.ref, sel);
          if (this.stopped) return;
          this.handlers.reset(list.items);
          this.onSynced();
          rv = list.metadata.resourceVersion;
        }
        const w = (this.watch = this.kernel.watch(this.ref, { ...sel, resourceVersion: rv, allowWatchBookmarks: true }));
        if (this.stopped) w.stop();
        for await (const ev of w) {
          if (ev.type === 'ERROR') {
            const st = ev.object as unknown as { code?: number; message?: string };
            this.logger.info('watch ended with an error; listing again', { resource: this.ref.resource, code: st.code, message: st.message });
            rv = undefined;
            break;
          }
          if (ev.object.metadata?.resourceVersion) rv = ev.object.metadata.resourceVersion;
          if (ev.type !== 'BOOKMARK') this.handlers.event(ev.type, ev.object);
        }
        w.stop();
        if (rv === undefined) await this.pause();
      } catch (e) {
        if (this.stopped) return;
        this.logger.warn('list/watch failed; retrying', { resource: this.ref.resource, error: String(e) });
        rv = undefined;
        await this.pause();
      }
    }
  }

  private pause(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, this.opts.retryMs ?? 1000);
      this.timer.unref();
    });
  }
}
