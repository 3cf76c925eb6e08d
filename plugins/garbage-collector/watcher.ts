// One collection's list-then-watch loop (an informer without a cache): list, hand the full state
// over, then watch from the list's resourceVersion. On an ERROR event (410 Gone, or a watcher cut
// off for being slow) or a failure, list again after a pause; on a clean end, re-watch from the
// last resourceVersion seen.
import type { Kernel, KObject, ResourceRef, Watch, WatchEvent } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';

export interface WatchHandlers {
  /** the complete current state of the collection (after a (re-)list) */
  synced(items: KObject[]): void;
  event(ev: WatchEvent): void;
}

export class CollectionWatcher {
  private stopped = false;
  private current?: Watch;
  private wake?: () => void;
  private timer?: NodeJS.Timeout;
  readonly done: Promise<void>;

  constructor(
    private readonly kernel: Kernel,
    readonly ref: ResourceRef,
    private readonly handlers: WatchHandlers,
    private readonly logger: Logger,
    private readonly retryMs = 1000,
  ) {
    this.done = this.run();
  }

  stop(): void {
    this.stopped = true;
    this.current?.stop();
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
  }

  private async run(): Promise<void> {
    let rv: string | undefined; // undefined: (re-)list first
    while (!this.stopped) {
      try {
        if (rv === undefined) {
          const list = await this.kernel.list(this.ref, {});
          if (this.stopped) return;
          this.handlers.synced(list.items);
          rv = list.metadata.resourceVersion;
        }
        const w = (this.current = this.kernel.watch(this.ref, { resourceVersion: rv, allowWatchBookmarks: true }));
        if (this.stopped) w.stop();
        let failed = false;
        for await (const ev of w) {
          if (ev.type === 'ERROR') {
            const st = ev.object as unknown as { code?: number; message?: string };
            this.logger.info('watch ended; re-listing', { resource: this.ref.resource, code: st.code, message: st.message });
            failed = true;
            break;
          }
          const evRv = ev.object.metadata?.resourceVersion;
          if (evRv) rv = evRv;
          if (ev.type !== 'BOOKMARK') this.handlers.event(ev);
        }
        w.stop();
        // a clean end (stop, or a server-side timeout) resumes from rv; a failure re-lists
        if (failed) rv = undefined;
      } catch (e) {
        if (this.stopped) return;
        this.logger.warn('list/watch failed; retrying', { resource: this.ref.resource, error: String(e) });
        rv = undefined;
      }
      await this.pause();
    }
  }

  private pause(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, this.retryMs);
      this.timer.unref();
    });
  }
}
