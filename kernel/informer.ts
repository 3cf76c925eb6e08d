// A reflector, like client-go's, for anything that follows a kind through the Kernel interface
// (the scheduler, controllers, the node agent): list, then watch from the list's resourceVersion.
// A watch that ends cleanly resumes from the last resourceVersion seen; one that reports an ERROR
// (410 Gone: too old, or the watcher fell behind) or fails is followed, after a pause, by a new
// list handed over whole to `reset`, so changes missed in between are seen.
import type { Logger } from './plugins/tokens.ts';
import type { Kernel, KObject, ListOptions, ResourceRef, Watch } from './types.ts';

export interface InformerHandlers {
  /** The full current state: after the first list and after every re-list. */
  reset(items: readonly KObject[]): void;
  event(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KObject): void;
}

export interface InformerOptions extends Pick<ListOptions, 'namespace' | 'fieldSelector' | 'labelSelector'> {
  logger?: Logger;
  /** pause before listing again after an error (default 500 ms) */
  retryMs?: number;
}

export class Informer {
  private watch?: Watch;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private wake?: () => void;
  private run?: Promise<void>;
  private onSynced!: () => void;
  private onStoppedEarly!: (e: Error) => void;
  /** resolves once the first list has been handed over; rejects if stopped before that */
  readonly synced: Promise<void>;

  constructor(
    private readonly kernel: Kernel,
    private readonly ref: ResourceRef,
    private readonly handlers: InformerHandlers,
    private readonly opts: InformerOptions = {},
  ) {
    this.synced = new Promise((resolve, reject) => {
      this.onSynced = resolve;
      this.onStoppedEarly = reject;
    });
    this.synced.catch(() => {});
  }

  /** Starts listing and watching (once); resolves when the first list has been handed over. */
  start(): Promise<void> {
    this.run ??= this.loop();
    return this.synced;
  }

  /** Resolves when the loop has ended after stop(). */
  get done(): Promise<void> {
    return this.run ?? Promise.resolve();
  }

  stop(): void {
    this.stopped = true;
    this.watch?.stop();
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    if (!this.run) this.onStoppedEarly(new Error('informer stopped before it synced'));
  }

  private async loop(): Promise<void> {
    const { namespace, fieldSelector, labelSelector, logger } = this.opts;
    const sel = { ...(namespace ? { namespace } : {}), ...(fieldSelector ? { fieldSelector } : {}), ...(labelSelector ? { labelSelector } : {}) };
    let rv: string | undefined; // undefined: list first
    let listed = false;
    try {
      while (!this.stopped) {
        try {
          if (rv === undefined) {
            const list = await this.kernel.list(this.ref, sel);
            if (this.stopped) return;
            this.handlers.reset(list.items);
            listed = true;
            this.onSynced();
            rv = list.metadata.resourceVersion;
          }
          const w = (this.watch = this.kernel.watch(this.ref, { ...sel, resourceVersion: rv, allowWatchBookmarks: true }));
          if (this.stopped) w.stop();
          for await (const ev of w) {
            if (ev.type === 'ERROR') {
              const st = ev.object as unknown as { code?: number; message?: string };
              logger?.info('watch ended with an error; listing again', { resource: this.ref.resource, code: st.code, message: st.message });
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
          logger?.warn('list/watch failed; retrying', { resource: this.ref.resource, error: String(e) });
          rv = undefined;
          await this.pause();
        }
      }
    } finally {
      if (!listed) this.onStoppedEarly(new Error('informer stopped before it synced'));
    }
  }

  private pause(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, this.opts.retryMs ?? 500);
      this.timer.unref();
    });
  }
}
