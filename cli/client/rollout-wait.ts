// `rollout status`'s wait, as kubectl's watchtools.UntilWithSync runs it: list the one object (field
// selector on its name), judge it, then judge every ADDED/MODIFIED event of a watch from the list's
// resourceVersion, printing each verdict, until done, an error, the object's deletion, or --timeout.
import type { ClientContext } from './context.ts';
import type { Watch } from '@skiff/client/rest';
import { resourcePath } from './resources.ts';
import type { StatusViewer } from './rollout-status.ts';
import type { Obj, Target } from './rollout-targets.ts';
import { StatusError } from '@skiff/client/rest';

export interface WaitOptions {
  /** --watch (default true): false prints the current status once */
  watch: boolean;
  /** --revision: 0 follows the latest */
  revision: number;
  /** --timeout in ms; 0 waits forever */
  timeoutMs: number;
}

export const TIMED_OUT = 'timed out waiting for the condition';

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

export async function waitForRollout(ctx: ClientContext, t: Pick<Target, 'r' | 'ns' | 'name'>, viewer: StatusViewer, o: WaitOptions): Promise<void> {
  const deadline = o.timeoutMs > 0 ? Date.now() + o.timeoutMs : Infinity;
  const query = { fieldSelector: `metadata.name=${t.name}` };
  const path = resourcePath(t.r, t.ns);
  let current: Watch | undefined;
  let timedOut = false;
  const timer = Number.isFinite(deadline)
    ? setTimeout(() => {
        timedOut = true;
        current?.stop();
      }, o.timeoutMs)
    : undefined;
  /** true when the wait is over */
  const judge = (obj: Obj): boolean => {
    const s = viewer(obj, o.revision);
    ctx.out(s.message);
    return s.done || !o.watch;
  };
  try {
    let rv: string | undefined;
    let listed = false;
    while (!timedOut) {
      if (!listed) {
        const list = await ctx.client.get<{ items?: Obj[]; metadata?: { resourceVersion?: string } }>(path, { query });
        rv = list.metadata?.resourceVersion;
        listed = true;
        for (const item of list.items ?? []) if (judge(item)) return;
      }
      try {
        const left = deadline - Date.now();
        current = await ctx.client.watch(path, {
          query: { ...query, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: Number.isFinite(left) ? Math.max(1, Math.ceil(left / 1000)) : undefined },
        });
        if (timedOut) current.stop();
        for await (const ev of current) {
          if (ev.object?.metadata?.resourceVersion) rv = ev.object.metadata.resourceVersion;
          if (ev.type === 'BOOKMARK') continue;
          if (ev.type === 'DELETED') throw new Error('object has been deleted');
          if (judge(ev.object)) return;
        }
      } catch (e) {
        if (!(e instanceof StatusError)) throw e;
        if (e.code !== 410) throw e;
        listed = false; // too old a resourceVersion: list again, as a reflector does
        await sleep(Math.min(200, Math.max(0, deadline - Date.now())));
      } finally {
        current?.stop();
      }
    }
    throw new Error(TIMED_OUT);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
