// `skiff apply -f` and `skiff create -f`: per object, create it or merge-patch it (client-side
// apply, with kubectl's last-applied-configuration annotation so kubectl and skiff interoperate).
import type { ClientContext } from './context.ts';
import type { KObject, Manifest } from './manifests.ts';
import { threeWayMergePatch } from './merge-patch.ts';
import { kindRef, resourcePath, type ApiResource } from './resources.ts';
import { isNotFound, StatusError } from '@skiff/client/rest';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export type ApplyResult = 'created' | 'configured' | 'unchanged';

/** The object's namespace: its own, else -n, else `default`; none for cluster-scoped kinds. */
export function namespaceFor(ctx: Pick<ClientContext, 'namespace' | 'namespaceExplicit'>, r: ApiResource, o: KObject): string | undefined {
  if (!r.namespaced) return undefined;
  const own = o.metadata.namespace;
  if (own && ctx.namespaceExplicit && own !== ctx.namespace) {
    throw new Error(`error: the namespace from the provided object "${own}" does not match the namespace "${ctx.namespace}". You must pass '--namespace=${own}' to perform this operation.`);
  }
  return own || ctx.namespace;
}

/** JSON with object keys sorted, as kubectl (Go's encoding/json of a map) writes the annotation. */
export function sortedJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));
}

/**
 * The configuration to apply: no status, namespace set, and the last-applied annotation holding
 * itself, byte for byte as kubectl writes it (sorted keys, `"annotations":{}` kept, a final newline).
 */
export function withLastApplied(o: KObject, ns: string | undefined): KObject {
  const { status: _status, ...rest } = o;
  const metadata = { ...rest.metadata };
  if (ns) metadata.namespace = ns;
  const annotations = { ...(metadata.annotations ?? {}) };
  delete annotations[LAST_APPLIED];
  const config = { ...rest, metadata: { ...metadata, annotations } } as KObject;
  return { ...rest, metadata: { ...metadata, annotations: { ...annotations, [LAST_APPLIED]: sortedJson(config) + '\n' } } } as KObject;
}

function parseLastApplied(live: KObject): Record<string, unknown> | undefined {
  const s = live.metadata?.annotations?.[LAST_APPLIED];
  if (!s) return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** Runs one request step; a failure becomes kubectl's `error when <verb> "<source>"` message. */
async function step<T>(verb: string, source: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw new Error(objectError(e, verb, source));
  }
}

export async function applyOne(ctx: ClientContext, r: ApiResource, o: KObject, source = 'STDIN'): Promise<{ name: string; result: ApplyResult }> {
  const ns = namespaceFor(ctx, r, o);
  const name = o.metadata.name;
  if (!name) throw new Error('error: resource name may not be empty');
  const modified = withLastApplied(o, ns);
  let live: KObject;
  try {
    live = await ctx.client.get<KObject>(resourcePath(r, ns, name));
  } catch (e) {
    if (!isNotFound(e)) throw new Error(objectError(e, 'retrieving current configuration of', source));
    await step('creating', source, ctx.client.request('POST', resourcePath(r, ns), { body: modified }));
    return { name, result: 'created' };
  }
  const patch = threeWayMergePatch(parseLastApplied(live), modified, live);
  if (Object.keys(patch).length === 0) return { name, result: 'unchanged' };
  const after = await step('patching', source, ctx.client.request<KObject>('PATCH', resourcePath(r, ns, name), { body: patch, contentType: 'application/merge-patch+json' }));
  return { name, result: sameApartFromStatus(after, live) ? 'unchanged' : 'configured' };
}

/** Whether apply changed nothing: status and resourceVersion move under controllers (the scheduler), not under apply. */
function sameApartFromStatus(a: KObject | undefined, b: KObject): boolean {
  if (!a) return false;
  const strip = (o: KObject) => ({ ...o, status: undefined, metadata: { ...o.metadata, resourceVersion: undefined, managedFields: undefined } });
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

export async function createOne(ctx: ClientContext, r: ApiResource, o: KObject, source = 'STDIN'): Promise<string> {
  const ns = namespaceFor(ctx, r, o);
  const body = { ...o, metadata: { ...o.metadata, ...(ns ? { namespace: ns } : {}) } };
  const created = await step('creating', source, ctx.client.request<KObject>('POST', resourcePath(r, ns), { body }));
  return created?.metadata?.name ?? o.metadata.name ?? '';
}

/** kubectl's wording: `Error from server (Invalid): error when creating "x.yaml": <message>`. */
export function objectError(e: unknown, verb: string, source: string): string {
  if (e instanceof StatusError) {
    const prefix = e.reason ? `Error from server (${e.reason})` : 'Error from server';
    return `${prefix}: error when ${verb} "${source}": ${e.status.message ?? ''}`;
  }
  return (e as Error).message;
}

/** Applies (or creates) every manifest; one's failure is printed and the rest still go. */
export async function applyAll(ctx: ClientContext, manifests: Manifest[], mode: 'apply' | 'create'): Promise<number> {
  let failed = false;
  for (const m of manifests) {
    try {
      const r = await ctx.resources.forObject(m.object.apiVersion, m.object.kind);
      if (mode === 'create') ctx.out(`${kindRef(r)}/${await createOne(ctx, r, m.object, m.source)} created\n`);
      else {
        const { name, result } = await applyOne(ctx, r, m.object, m.source);
        ctx.out(`${kindRef(r)}/${name} ${result}\n`);
      }
    } catch (e) {
      failed = true;
      ctx.err((e as Error).message + '\n');
    }
  }
  return failed ? 1 : 0;
}
