// The soak benchmark's watches: each one works as an informer does (list, then watch from the list's
// resourceVersion; a watch that ends is re-opened from the last resourceVersion seen; 410 -> re-list)
// and checks every event it gets: resourceVersions strictly increasing, an ADDED only for an object
// it does not hold, a MODIFIED or DELETED only for one it holds. What it holds at the end is compared
// with a list by the caller (lost or extra events).
import { Agent, request } from 'undici';
import type { Rest } from './_server.ts';

export interface WatchedObject {
  metadata: { name: string; namespace?: string; resourceVersion: string };
}
export interface WatchEventLine {
  type: string;
  object: WatchedObject & { code?: number; reason?: string; message?: string };
}

/** What a watch holds (namespace/name -> resourceVersion) and the checks on each event. */
export class WatchState {
  readonly objects = new Map<string, number>();
  /** the last resourceVersion seen: the list's, then each event's or bookmark's */
  rv = 0;
  events = 0;
  readonly violations: string[] = [];

  reset(items: WatchedObject[], listRv: string): void {
    this.objects.clear();
    for (const o of items) this.objects.set(keyOf(o), Number(o.metadata.resourceVersion));
    this.rv = Number(listRv);
  }

  /** Applies one ADDED / MODIFIED / DELETED / BOOKMARK event; a broken rule is recorded, not thrown. */
  apply(ev: WatchEventLine): void {
    const rv = Number(ev.object.metadata.resourceVersion);
    if (ev.type === 'BOOKMARK') {
      if (!(rv >= this.rv)) this.violate(`bookmark ${rv} after ${this.rv}`);
      else this.rv = rv;
      return;
    }
    this.events++;
    const key = keyOf(ev.object);
    if (!(rv > this.rv)) this.violate(`${ev.type} ${key} at ${rv} after ${this.rv} (out of order or repeated)`);
    else this.rv = rv;
    const held = this.objects.has(key);
    if (ev.type === 'ADDED') {
      if (held) this.violate(`ADDED ${key} at ${rv}, already held at ${this.objects.get(key)}`);
      this.objects.set(key, rv);
    } else if (ev.type === 'MODIFIED') {
      if (!held) this.violate(`MODIFIED ${key} at ${rv}, not held`);
      this.objects.set(key, rv);
    } else if (ev.type === 'DELETED') {
      if (!held) this.violate(`DELETED ${key} at ${rv}, not held`);
      this.objects.delete(key);
    } else this.violate(`unknown event type ${ev.type}`);
  }

  /** Differences from a list of the same scope (empty when the watch holds exactly that). */
  diff(items: WatchedObject[]): string[] {
    const out: string[] = [];
    const want = new Map(items.map((o) => [keyOf(o), Number(o.metadata.resourceVersion)]));
    for (const [k, rv] of want) if (this.objects.get(k) !== rv) out.push(`${k}: list ${rv}, watch ${this.objects.get(k) ?? 'none'}`);
    for (const k of this.objects.keys()) if (!want.has(k)) out.push(`${k}: watch ${this.objects.get(k)}, not listed`);
    return out;
  }

  private violate(msg: string): void {
    this.violations.push(msg);
  }
}

const keyOf = (o: WatchedObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** A collection to watch: `/api/v1/namespaces/x/configmaps` and an optional label selector. */
export interface Scope {
  path: string;
  labelSelector?: string;
}

export function scopeUrl(s: Scope, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({ ...(s.labelSelector ? { labelSelector: s.labelSelector } : {}), ...extra }).toString();
  return q ? `${s.path}?${q}` : s.path;
}

export interface WatchOptions {
  /** each watch asks for timeoutSeconds drawn from [min, 2*min], as client-go's reflector does */
  minTimeoutS: number;
  /**
   * Every list and watch request of the watch on a connection of its own (closed after it), never
   * one a previous response used: a workaround while the server mishandles a watch that arrives on
   * a keep-alive connection before the previous response there has finished.
   */
  freshConnections?: boolean;
  /** kind: 'order' (an event breaking the rules above) or 'transport' (the stream failed, or an ERROR other than 410) */
  onError: (msg: string, kind: 'order' | 'transport') => void;
}

/** One informer-like watch, run until stop(). */
export class SoakWatch {
  readonly state = new WatchState();
  restarts = 0;
  relists = 0;
  transportErrors = 0;
  private stopped = false;
  private ac?: AbortController;
  private done?: Promise<void>;
  private reported = 0;

  constructor(
    readonly scope: Scope,
    private readonly rest: Rest,
    private readonly agent: Agent,
    private readonly opts: WatchOptions,
  ) {}

  /** Resolves after the first list, so the load starts with every watch in place. */
  async start(): Promise<void> {
    await this.list();
    this.done = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.ac?.abort();
    await this.done;
  }

  private async list(): Promise<void> {
    const res = await request(this.rest.base + scopeUrl(this.scope), { dispatcher: this.agent, headers: this.rest.headers, reset: this.opts.freshConnections });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`list ${this.scope.path}: ${res.statusCode} ${text.slice(0, 200)}`);
    const l = JSON.parse(text) as { metadata: { resourceVersion: string }; items: WatchedObject[] };
    this.state.reset(l.items, l.metadata.resourceVersion);
  }

  private async run(): Promise<void> {
    let relist = false;
    while (!this.stopped) {
      try {
        if (relist) {
          await this.list();
          this.relists++;
          relist = false;
        }
        relist = await this.watchOnce();
        if (!this.stopped) this.restarts++;
      } catch (e) {
        if (this.stopped) break;
        this.transportErrors++;
        this.opts.onError(`watch ${scopeUrl(this.scope)}: ${(e as Error).message}`, 'transport');
        await new Promise((r) => setTimeout(r, 200));
      }
      this.report();
    }
    this.report();
  }

  /** One watch request, read to its end. True when the next step is a re-list (410). */
  private async watchOnce(): Promise<boolean> {
    this.ac = new AbortController();
    const timeout = Math.round(this.opts.minTimeoutS * (1 + Math.random()));
    const url = scopeUrl(this.scope, { watch: '1', resourceVersion: String(this.state.rv), allowWatchBookmarks: 'true', timeoutSeconds: String(timeout) });
    let res;
    try {
      res = await request(this.rest.base + url, { dispatcher: this.agent, headers: this.rest.headers, signal: this.ac.signal, reset: this.opts.freshConnections });
    } catch (e) {
      if (this.stopped) return false;
      throw e;
    }
    if (res.statusCode === 410) {
      await res.body.text();
      return true;
    }
    if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${(await res.body.text()).slice(0, 200)}`);
    let buf = '';
    const utf8 = new TextDecoder(); // a chunk may end inside a character
    try {
      for await (const chunk of res.body) {
        buf += utf8.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (!line) continue;
          const ev = JSON.parse(line) as WatchEventLine;
          if (ev.type === 'ERROR') {
            if (ev.object.code === 410) return true;
            throw new Error(`ERROR event ${ev.object.code} ${ev.object.message}`);
          }
          this.state.apply(ev);
        }
      }
    } catch (e) {
      if (this.stopped) return false;
      throw e;
    }
    if (buf.trim()) throw new Error(`watch ended inside an event: ${buf.slice(0, 100)}`);
    return false;
  }

  /** New ordering violations go to onError once each. */
  private report(): void {
    const v = this.state.violations;
    for (; this.reported < v.length; this.reported++) this.opts.onError(`watch ${scopeUrl(this.scope)}: ${v[this.reported]}`, 'order');
  }
}
