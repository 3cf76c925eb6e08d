// The soak benchmark's operations on a fixed set of object slots (ConfigMaps and Secrets, a few
// namespaces). A slot has at most one write in flight and the load keeps its expected state
// (exists, resourceVersion, shard label), so no two writes race: every answer has one expected code,
// and reads are checked against the state (a GET of an idle object returns its last written
// resourceVersion; a list holds every object that had no write in flight while it was served, as
// last written).
import { request } from 'undici';
import type { Rest } from './_server.ts';

export type Verb = 'create' | 'delete' | 'put' | 'patch' | 'get' | 'list' | 'listLabel';
export const VERBS: Verb[] = ['create', 'delete', 'put', 'patch', 'get', 'list', 'listLabel'];

/** The mix, per 100 operations: create+delete are one "churn" pick (a free slot is created, a used one deleted). */
const MIX: [Verb | 'churn', number][] = [
  ['churn', 20],
  ['put', 20],
  ['patch', 20],
  ['get', 30],
  ['list', 5],
  ['listLabel', 5],
];

export const KINDS = [
  { resource: 'configmaps', kind: 'ConfigMap' },
  { resource: 'secrets', kind: 'Secret' },
] as const;
type Kind = (typeof KINDS)[number];

export const SHARDS = 8;
const SHARD_LABEL = 'soak-shard';
const PAD = 'x'.repeat(256);

interface Slot {
  kind: Kind;
  ns: string;
  name: string;
  exists: boolean;
  rv: string;
  shard: number;
  gen: number;
  /** a request on it is in flight (at most one write, or a resync) */
  busy: boolean;
  /** writes started so far: a list checks only slots with no write started while it was served */
  writes: number;
}

export interface Outcome {
  verb: Verb;
  /** undefined: as expected; otherwise what went wrong */
  error?: string;
  /** the class of the error, for counting: the HTTP status, 'transport', 'stale' (a read older than the last write) */
  kind?: string;
  /** not sent: every slot it could use had a request in flight (only when the server falls far behind) */
  skipped?: boolean;
}

export class SoakLoad {
  readonly slots: Slot[] = [];
  private readonly byScope = new Map<string, Slot[]>();
  private readonly mixTotal = MIX.reduce((a, [, w]) => a + w, 0);

  constructor(
    private readonly rest: Rest,
    readonly namespaces: string[],
    perScope: number,
  ) {
    for (const kind of KINDS)
      for (const ns of namespaces) {
        const list: Slot[] = [];
        for (let i = 0; i < perScope; i++) list.push({ kind, ns, name: `soak-${i}`, exists: false, rv: '', shard: i % SHARDS, gen: 0, busy: false, writes: 0 });
        this.byScope.set(`${kind.resource}/${ns}`, list);
        this.slots.push(...list);
      }
  }

  get live(): number {
    return this.slots.filter((s) => s.exists).length;
  }

  /** Creates every other slot (before the timed load). */
  async fill(concurrency = 16): Promise<void> {
    const todo = this.slots.filter((_, i) => i % 2 === 0);
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let s = todo.pop(); s; s = todo.pop()) {
          const o = await this.create(s);
          if (o.error) throw new Error(`fill: ${o.error}`);
        }
      }),
    );
  }

  /** One operation drawn from the mix. */
  next(): Promise<Outcome> {
    let x = Math.random() * this.mixTotal;
    let pick: Verb | 'churn' = 'get';
    for (const [v, w] of MIX) {
      if ((x -= w) < 0) {
        pick = v;
        break;
      }
    }
    if (pick === 'list' || pick === 'listLabel') return this.list(pick);
    const s = this.idle(pick === 'churn' ? undefined : true);
    // every slot busy: only when the server has fallen thousands of requests behind
    if (!s) return Promise.resolve({ verb: pick === 'churn' ? 'create' : pick, skipped: true });
    if (pick === 'churn') return s.exists ? this.delete(s) : this.create(s);
    if (pick === 'put') return this.put(s);
    if (pick === 'patch') return this.patch(s);
    return this.get(s);
  }

  /** A random idle slot (that exists, when asked). */
  private idle(exists?: boolean): Slot | undefined {
    const fits = (s: Slot) => !s.busy && (exists === undefined || s.exists === exists);
    for (let tries = 0; tries < 32; tries++) {
      const s = this.slots[Math.floor(Math.random() * this.slots.length)]!;
      if (fits(s)) return s;
    }
    // most are busy: the first fitting one from a random place
    const from = Math.floor(Math.random() * this.slots.length);
    for (let k = 0; k < this.slots.length; k++) {
      const s = this.slots[(from + k) % this.slots.length]!;
      if (fits(s)) return s;
    }
    return undefined;
  }

  private path(s: Slot, named = true): string {
    return `/api/v1/namespaces/${s.ns}/${s.kind.resource}${named ? `/${s.name}` : ''}`;
  }

  private body(s: Slot, withRv: boolean): object {
    const metadata = { name: s.name, namespace: s.ns, labels: { [SHARD_LABEL]: String(s.shard) }, ...(withRv ? { resourceVersion: s.rv } : {}) };
    const data = { pad: PAD, gen: String(s.gen) };
    if (s.kind.kind === 'Secret') {
      const b64 = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
      return { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata, data: b64 };
    }
    return { apiVersion: 'v1', kind: 'ConfigMap', metadata, data };
  }

  private async create(s: Slot): Promise<Outcome> {
    return this.write(s, 'create', 'POST', this.path(s, false), this.body(s, false), [201], (o) => {
      s.exists = true;
      s.rv = o.metadata.resourceVersion;
    });
  }

  private async delete(s: Slot): Promise<Outcome> {
    // the precondition checks the load's view: a 409 here means a write it did not see
    const opts = { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion: s.rv } };
    return this.write(s, 'delete', 'DELETE', this.path(s), opts, [200, 202], () => {
      s.exists = false;
      s.rv = '';
    });
  }

  private async put(s: Slot): Promise<Outcome> {
    s.gen++;
    return this.write(s, 'put', 'PUT', this.path(s), this.body(s, true), [200], (o) => (s.rv = o.metadata.resourceVersion));
  }

  private async patch(s: Slot): Promise<Outcome> {
    s.gen++;
    // a quarter of the patches move the object to another shard: label-selected watches see it leave and arrive
    if (Math.random() < 0.25) s.shard = (s.shard + 1 + Math.floor(Math.random() * (SHARDS - 1))) % SHARDS;
    const gen = s.kind.kind === 'Secret' ? Buffer.from(String(s.gen)).toString('base64') : String(s.gen);
    const patch = { metadata: { labels: { [SHARD_LABEL]: String(s.shard) } }, data: { gen } };
    return this.write(s, 'patch', 'PATCH', this.path(s), patch, [200], (o) => (s.rv = o.metadata.resourceVersion), 'application/merge-patch+json');
  }

  private async write(s: Slot, verb: Verb, method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body: object, ok: number[], apply: (o: { metadata: { resourceVersion: string } }) => void, contentType = 'application/json'): Promise<Outcome> {
    s.busy = true;
    s.writes++;
    let error: string | undefined;
    let kind: string | undefined;
    try {
      const r = await this.send(method, path, body, contentType);
      if (ok.includes(r.status)) apply(JSON.parse(r.text));
      else [error, kind] = [`${r.status} ${r.text.slice(0, 160)}`, String(r.status)];
    } catch (e) {
      [error, kind] = [`transport: ${(e as Error).message}`, 'transport'];
    }
    if (error) await this.resync(s);
    else s.busy = false;
    return { verb, error: error && `${method} ${path}: ${error}`, kind };
  }

  /** After a failed write the object's state is unknown: read it back before the slot is used again. */
  private async resync(s: Slot): Promise<void> {
    for (let i = 0; i < 10; i++) {
      try {
        const r = await this.send('GET', this.path(s));
        if (r.status === 404) {
          s.exists = false;
          s.rv = '';
        } else if (r.status === 200) {
          const o = JSON.parse(r.text);
          s.exists = true;
          s.rv = o.metadata.resourceVersion;
          s.shard = Number(o.metadata.labels?.[SHARD_LABEL] ?? s.shard);
        } else throw new Error(String(r.status));
        s.busy = false;
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    // left busy: this slot is out of the load from now on
  }

  private async get(s: Slot): Promise<Outcome> {
    s.busy = true;
    const want = s.rv;
    try {
      const r = await this.send('GET', this.path(s));
      if (r.status !== 200) return { verb: 'get', error: `GET ${this.path(s)}: ${r.status} ${r.text.slice(0, 160)}`, kind: String(r.status) };
      const rv = JSON.parse(r.text).metadata.resourceVersion;
      if (rv !== want) return { verb: 'get', error: `GET ${this.path(s)}: resourceVersion ${rv}, last written ${want}`, kind: 'stale' };
      return { verb: 'get' };
    } catch (e) {
      return { verb: 'get', error: `GET ${this.path(s)}: transport: ${(e as Error).message}`, kind: 'transport' };
    } finally {
      s.busy = false;
    }
  }

  /** A namespace list of one kind, or a label-selected list of one kind across all namespaces. */
  private async list(verb: 'list' | 'listLabel'): Promise<Outcome> {
    const kind = KINDS[Math.floor(Math.random() * KINDS.length)]!;
    let path: string;
    let scope: Slot[];
    if (verb === 'list') {
      const ns = this.namespaces[Math.floor(Math.random() * this.namespaces.length)]!;
      path = `/api/v1/namespaces/${ns}/${kind.resource}`;
      scope = this.byScope.get(`${kind.resource}/${ns}`)!;
    } else {
      const shard = Math.floor(Math.random() * SHARDS);
      path = `/api/v1/${kind.resource}?labelSelector=${SHARD_LABEL}%3D${shard}`;
      scope = this.slots.filter((s) => s.kind === kind && s.shard === shard);
    }
    // the slots with nothing in flight now: if none starts a write before the answer, it must show them as written
    const fixed = scope.filter((s) => !s.busy).map((s) => ({ s, writes: s.writes, exists: s.exists, rv: s.rv }));
    try {
      const r = await this.send('GET', path);
      if (r.status !== 200) return { verb, error: `GET ${path}: ${r.status} ${r.text.slice(0, 160)}`, kind: String(r.status) };
      const items = (JSON.parse(r.text) as { items: { metadata: { name: string; namespace: string; resourceVersion: string } }[] }).items;
      const got = new Map(items.map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o.metadata.resourceVersion]));
      for (const f of fixed) {
        if (f.s.writes !== f.writes) continue;
        const rv = got.get(`${f.s.ns}/${f.s.name}`);
        if (f.exists ? rv !== f.rv : rv !== undefined) return { verb, error: `GET ${path}: ${f.s.ns}/${f.s.name} at ${rv ?? 'absent'}, last written ${f.exists ? f.rv : 'deleted'}`, kind: 'stale' };
      }
      return { verb };
    } catch (e) {
      return { verb, error: `GET ${path}: transport: ${(e as Error).message}`, kind: 'transport' };
    }
  }

  private async send(method: string, path: string, body?: object, contentType = 'application/json'): Promise<{ status: number; text: string }> {
    const res = await request(this.rest.base + path, {
      method: method as 'GET',
      dispatcher: this.rest.agent,
      headers: { ...this.rest.headers, ...(body ? { 'content-type': contentType } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      // undici closes the connection after a body on a DELETE unless told not to; client-go keeps it
      reset: false,
    });
    return { status: res.statusCode, text: await res.body.text() };
  }
}
