// A reflector, like client-go's: list, then watch from the list's resourceVersion; when the watch
// ends or reports an ERROR (410 Gone: too old, or the watcher fell behind), list and watch again,
// handing the full list to `reset` so deletions missed in between are seen.
import type { Kernel, KObject, ResourceRef, Watch } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';

export interface InformerHandlers {
  /** The full current state (first list and every re-list). */
  reset(items: readonly KObject[]): void;
  event(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KObject): void;
}

export class Informer {
  private watch?: Watch;
  private stopped = false;
  private resolveSynced!: () => void;
  private rejectSynced!: (e: unknown) => void;
  /** resolves after the first list has been handed over */
  readonly synced: Promise<void>;
  relists = 0;

  constructor(
    private readonly kernel: Kernel,
    private readonly ref: ResourceRef,
    private readonly handlers: InformerHandlers,
    private readonly logger?: Logger,
    private readonly retryMs = 500,
  ) {
    this.synced = new Promise((res, rej) => {
      this.resolveSynced = res;
      this.rejectSynced = rej;
    });
    this.synced.catch(() => {});
  }

  start(): Promise<void> {
    void this.run();
    return this.synced;
  }

  stop(): void {
    this.stopped = true;
    this.watch?.stop();
  }

  private async run(): Promise<void> {
    let first = true;
    while (!this.stopped) {
      try {
        const list = await this.kernel.list(this.ref, {});
        if (this.stopped) return;
        this.handlers.reset(list.items);
        if (first) {
          first = false;
          this.resolveSynced();
        } else {
          this.relists++;
        }
        const w = this.kernel.watch(this.ref, { resourceVersion: list.metadata.resourceVersion });
        this.watch = w;
        if (this.stopped) {
          w.stop();
          return;
        }
        for await (const ev of w) {
          if (ev.type === 'ERROR') {
            this.logger?.info('watch error; re-listing', { resource: this.ref.resource, status: (ev.object as { message?: string }).message });
            break;
          }
          if (ev.type === 'BOOKMARK') continue;
          this.handlers.event(ev.type, ev.object);
        }
        w.stop();
      } catch (e) {
        if (this.stopped) return;
        this.logger?.warn('list/watch failed; retrying', { resource: this.ref.resource, error: String(e) });
        await new Promise((r) => setTimeout(r, this.retryMs).unref());
      }
    }
    if (first) this.rejectSynced(new Error('informer stopped before it synced'));
  }
}
