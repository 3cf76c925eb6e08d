// The OpenAPI documents of the kinds served, built from the kernel's kinds and schemas, kept until
// the set of kinds changes (a CRD registered or removed), each with the hash kube-apiserver uses for
// its ETag and for the ?hash= of /openapi/v3 discovery.
import { createHash } from 'node:crypto';
import type { Kernel, KindInfo } from '@skiff/kernel';
import { DELETE_OPTIONS, PATCH, STATUS, type Schema } from './common.ts';
import { buildModel, reachable, type OpenApiModel } from './model.ts';
import { kindPaths } from './paths.ts';
import { documentV2 } from './v2.ts';
import { encodeDocumentV2 } from './v2-proto.ts';

export interface Served {
  body: Buffer;
  /** uppercase hex SHA-512 of the body, as kube-apiserver's */
  hash: string;
}

export interface Documents {
  model: OpenApiModel;
  /** "api/v1", "apis/apps/v1" -> that group-version's v3 document */
  v3: Map<string, Served>;
  v2json(): Served;
  v2proto(): Served;
}

const served = (body: Buffer): Served => ({ body, hash: createHash('sha512').update(body).digest('hex').toUpperCase() });
const json = (v: unknown): Served => served(Buffer.from(JSON.stringify(v)));

/** The definitions every group-version document carries besides its kinds'. */
const ALWAYS = [STATUS, PATCH, DELETE_OPTIONS];

export function buildDocuments(version: string, kinds: KindInfo[], schemas: (Schema | undefined)[]): Documents {
  const model = buildModel(kinds, schemas);
  const byGv = new Map<string, { paths: Record<string, Schema>; roots: string[] }>();
  const allPaths: Record<string, Schema> = {};
  for (const m of model.kinds) {
    const gv = m.info.group ? `apis/${m.info.group}/${m.info.version}` : `api/${m.info.version}`;
    const entry = byGv.get(gv) ?? { paths: {}, roots: [...ALWAYS] };
    const paths = kindPaths(m);
    Object.assign(entry.paths, paths);
    Object.assign(allPaths, paths);
    entry.roots.push(m.definition, `${m.definition}List`);
    byGv.set(gv, entry);
  }
  const v3 = new Map<string, Served>();
  for (const [gv, { paths, roots }] of [...byGv].sort(([a], [b]) => a.localeCompare(b))) {
    const schemas = Object.fromEntries(reachable(model.definitions, roots).map((n) => [n, model.definitions[n]]));
    v3.set(gv, json({ openapi: '3.0.0', info: { title: 'Kubernetes', version }, paths, components: { schemas } }));
  }
  let v2: Served | undefined;
  let proto: Served | undefined;
  const v2doc = () => documentV2(version, model.definitions, allPaths);
  return {
    model,
    v3,
    v2json: () => (v2 ??= json(v2doc())),
    v2proto: () => (proto ??= served(encodeDocumentV2(v2doc()))),
  };
}

/** The /openapi/v3 discovery document: where each group-version's document is, by hash. */
export function discoveryV3(docs: Documents): Buffer {
  const paths = Object.fromEntries([...docs.v3].map(([gv, d]) => [gv, { serverRelativeURL: `/openapi/v3/${gv}?hash=${d.hash}` }]));
  return Buffer.from(JSON.stringify({ paths }));
}

/**
 * Documents kept per set of kinds. In process the kernel answers the same kinds array until a kind
 * is registered or removed; a kernel over the bus answers copies, so the kinds and the schemas'
 * identities are compared too before anything is rebuilt.
 */
export class OpenApiDocuments {
  private current?: { kinds: KindInfo[]; key: string; schemas: (Schema | undefined)[]; docs: Documents };
  private building?: Promise<Documents>;
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;

  constructor(
    private readonly kernel: Kernel,
    private readonly version: string,
  ) {}

  async get(): Promise<Documents> {
    const kinds = this.kernel.kinds();
    if (this.current && this.current.kinds === kinds) return this.current.docs;
    return (this.building ??= this.rebuild(kinds).finally(() => (this.building = undefined)));
  }

  private async rebuild(kinds: KindInfo[]): Promise<Documents> {
    const schemas = await Promise.all(kinds.map((k) => this.kernel.kindSchema?.(k).catch(() => undefined)));
    const key = kinds.map((k, i) => `${k.group}/${k.version}/${k.kind}/${k.resource}/${k.namespaced}/${k.verbs.join(',')}/${k.subresources.join(',')}#${this.id(schemas[i])}`).join('|');
    if (this.current && this.current.key === key) {
      this.current.kinds = kinds;
      return this.current.docs;
    }
    const docs = buildDocuments(this.version, kinds, schemas);
    this.current = { kinds, key, schemas, docs };
    return docs;
  }

  private id(o: object | undefined): number {
    if (!o) return 0;
    let id = this.ids.get(o);
    if (id === undefined) this.ids.set(o, (id = this.nextId++));
    return id;
  }
}
