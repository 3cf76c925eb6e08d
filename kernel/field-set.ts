// Sets of field paths, as server-side apply tracks who owns what (structured-merge-diff's
// fieldpath.Set), and their wire form in managedFields (FieldsV1). A path is a list of path
// elements, each kept in its FieldsV1 spelling: `f:<field>` (a field or map key), `k:<json>` (an
// item of a list-type map, by its key fields), `v:<json>` (an item of a set), `i:<n>` (an index).
// A set is a trie: `members` are the paths that end at this node, `children` go deeper; a path
// element that is both is written with a `.` entry in FieldsV1.

export type PathElement = string;
export type Path = PathElement[];

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class FieldSet {
  readonly members = new Set<PathElement>();
  readonly children = new Map<PathElement, FieldSet>();

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  /** Adds `path` (followed by `last`, when given); keeps neither array. */
  insert(path: readonly PathElement[], last?: PathElement): void {
    let n = path.length;
    if (last === undefined) {
      if (!n) return;
      last = path[--n]!;
    }
    let s: FieldSet = this;
    for (let i = 0; i < n; i++) s = s.child(path[i]!);
    s.members.add(last);
  }

  /** The child set at `pe`, created when missing. */
  child(pe: PathElement): FieldSet {
    let c = this.children.get(pe);
    if (!c) this.children.set(pe, (c = new FieldSet()));
    return c;
  }

  has(path: Path): boolean {
    let s: FieldSet | undefined = this;
    for (let i = 0; i < path.length - 1 && s; i++) s = s.children.get(path[i]!);
    return !!s && path.length > 0 && s.members.has(path[path.length - 1]!);
  }

  /** The paths under `pe`, without it (SMD's WithPrefix). */
  withPrefix(pe: PathElement): FieldSet {
    return this.children.get(pe) ?? EMPTY;
  }

  get empty(): boolean {
    if (this.members.size) return false;
    for (const c of this.children.values()) if (!c.empty) return false;
    return true;
  }

  // Sets are not changed once built (insert is for building one): the operations may answer one
  // of their operands as it is.

  union(o: FieldSet): FieldSet {
    if (o.empty) return this;
    if (this.empty) return o;
    const out = new FieldSet();
    for (const m of this.members) out.members.add(m);
    for (const m of o.members) out.members.add(m);
    for (const [pe, c] of this.children) out.children.set(pe, c.union(o.children.get(pe) ?? EMPTY));
    for (const [pe, c] of o.children) if (!this.children.has(pe)) out.children.set(pe, c);
    return out.pruned();
  }

  intersection(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (o.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const oc = o.children.get(pe);
      if (oc) out.children.set(pe, c.intersection(oc));
    }
    return out.pruned();
  }

  /** The exact paths of this set that are not in `o`. */
  difference(o: FieldSet): FieldSet {
    if (o.empty || this.empty) return this;
    const out = new FieldSet();
    for (const m of this.members) if (!o.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const oc = o.children.get(pe);
      out.children.set(pe, oc ? c.difference(oc) : c);
    }
    return out.pruned();
  }

  /** The paths of this set that neither are in `o` nor lie under a path of `o`. */
  recursiveDifference(o: FieldSet): FieldSet {
    if (o.empty || this.empty) return this;
    const out = new FieldSet();
    for (const m of this.members) if (!o.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      if (o.members.has(pe)) continue;
      const oc = o.children.get(pe);
      out.children.set(pe, oc ? c.recursiveDifference(oc) : c);
    }
    return out.pruned();
  }

  private pruned(): FieldSet {
    for (const [pe, c] of this.children) if (c.empty) this.children.delete(pe);
    return this;
  }

  /** Every path in the set, in FieldsV1 order. */
  paths(): Path[] {
    const out: Path[] = [];
    const walk = (s: FieldSet, prefix: Path) => {
      for (const pe of sortedElements(s)) {
        if (s.members.has(pe)) out.push([...prefix, pe]);
        const c = s.children.get(pe);
        if (c) walk(c, [...prefix, pe]);
      }
    };
    walk(this, []);
    return out;
  }

  /** FieldsV1, the form managedFields stores (keys in structured-merge-diff's order). */
  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const pe of sortedElements(this)) {
      const c = this.children.get(pe);
      if (!c || c.empty) out[pe] = {};
      else {
        const inner = c.toFieldsV1();
        out[pe] = this.members.has(pe) ? { '.': {}, ...inner } : inner;
      }
    }
    return out;
  }

  /** Reads FieldsV1; throws an Error on a malformed one. Unknown path element kinds are skipped (as SMD does). */
  static fromFieldsV1(v: unknown): FieldSet {
    const s = new FieldSet();
    if (!isObj(v)) throw new Error('fieldsV1 must be an object');
    for (const [k, child] of Object.entries(v)) {
      if (k === '.') continue;
      const pe = canonicalElement(k);
      if (pe === undefined) continue;
      if (!isObj(child)) throw new Error(`fieldsV1: the value of ${JSON.stringify(k)} must be an object`);
      if (Object.hasOwn(child, '.') || Object.keys(child).length === 0) s.members.add(pe);
      const c = FieldSet.fromFieldsV1(child);
      if (!c.empty) s.children.set(pe, c);
    }
    return s;
  }
}

const EMPTY = new FieldSet();

/** A path element of FieldsV1 in canonical form (key fields sorted), or undefined for an unknown kind. */
function canonicalElement(k: string): PathElement | undefined {
  const kind = k.slice(0, 2);
  if (kind === 'f:') return k;
  if (kind === 'k:') {
    const key = JSON.parse(k.slice(2)) as unknown;
    if (!isObj(key)) throw new Error(`fieldsV1: ${JSON.stringify(k)} is not a key`);
    return keyElement(key);
  }
  if (kind === 'v:') return valueElement(JSON.parse(k.slice(2)));
  if (kind === 'i:') {
    if (!/^i:\d+$/.test(k)) throw new Error(`fieldsV1: ${JSON.stringify(k)} is not an index`);
    return k;
  }
  return undefined;
}

export const fieldElement = (name: string): PathElement => `f:${name}`;
export const valueElement = (v: unknown): PathElement => `v:${JSON.stringify(v)}`;
/** `k:{...}` with the key fields sorted by name, as Kubernetes writes them. */
export function keyElement(key: Record<string, unknown>): PathElement {
  const sorted: Record<string, unknown> = {};
  for (const n of Object.keys(key).sort()) sorted[n] = key[n];
  return `k:${JSON.stringify(sorted)}`;
}

const RANK: Record<string, number> = { 'f:': 0, 'k:': 1, 'v:': 2, 'i:': 3 };

/** structured-merge-diff's order: fields, then keys, then values, then indexes. */
export function comparePathElements(a: PathElement, b: PathElement): number {
  const ra = RANK[a.slice(0, 2)] ?? 4;
  const rb = RANK[b.slice(0, 2)] ?? 4;
  if (ra !== rb) return ra - rb;
  if (ra === 3) return Number(a.slice(2)) - Number(b.slice(2));
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedElements(s: FieldSet): PathElement[] {
  const all = new Set<PathElement>([...s.members, ...s.children.keys()]);
  return [...all].sort(comparePathElements);
}

/** A path as Kubernetes prints it in conflicts: `.spec.containers[name="nginx"].image`. */
export function pathString(path: Path): string {
  let out = '';
  for (const pe of path) {
    const kind = pe.slice(0, 2);
    const rest = pe.slice(2);
    if (kind === 'f:') out += `.${rest}`;
    else if (kind === 'k:') {
      const key = JSON.parse(rest) as Record<string, unknown>;
      out += `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
    } else if (kind === 'v:') out += `[=${rest}]`;
    else out += `[${rest}]`;
  }
  return out;
}
