// `skiff describe <type> <name>`: kubectl-describe-like text — metadata, then the rest of the object
// as indented `Key: value` lines (Pods: containers, conditions), then the object's Events.
import type { ClientContext } from './context.ts';
import { resourcePath, type ApiResource } from './resources.ts';
import { StatusError } from '@skiff/client/rest';
import { age } from '@skiff/api';
import { formatTable } from './table.ts';
import { field, LABEL_WIDTH } from './describe-field.ts';
import { nodeLines } from './describe-node.ts';

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Maps whose keys are data, not field names: printed as they are. */
const VERBATIM = new Set(['labels', 'annotations', 'matchLabels', 'nodeSelector', 'data', 'stringData', 'binaryData', 'capacity', 'allocatable', 'limits', 'requests']);

/** `key=value` per line, continuation lines aligned under the first value. */
function mapField(label: string, m: Record<string, string> | undefined, sep = '='): string[] {
  const entries = Object.entries(m ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (!entries.length) return [field(label, '<none>')];
  const pad = ' '.repeat(Math.max(LABEL_WIDTH, label.length + 2));
  return entries.map(([k, v], i) => {
    const text = `${k}${sep}${sep === ': ' && v.length > 80 ? v.slice(0, 77) + '...' : v}`.replace(/\n+$/, '');
    return i === 0 ? field(label, text) : pad + text;
  });
}

const titleCase = (k: string): string => k.charAt(0).toUpperCase() + k.slice(1);

/** Any value as indented `Key: value` lines, like kubectl's describer for unknown kinds. */
export function renderValue(key: string, v: unknown, indent: string, verbatim = false): string[] {
  const title = verbatim ? (k: string) => k : titleCase;
  if (v === null || v === undefined) return [`${indent}${title(key)}:`];
  if (Array.isArray(v)) {
    if (v.every((x) => !isObj(x) && !Array.isArray(x))) return [`${indent}${title(key)}:${v.length ? ' ' + v.join(', ') : ''}`];
    const out = [`${indent}${title(key)}:`];
    for (const item of v) {
      const lines = isObj(item) ? Object.entries(item).flatMap(([k, x]) => renderValue(k, x, indent + '    ')) : [`${indent}    ${item}`];
      if (lines.length) lines[0] = `${indent}  - ${lines[0]!.slice(indent.length + 4)}`;
      out.push(...lines);
    }
    return out;
  }
  if (isObj(v)) {
    const entries = Object.entries(v);
    if (!entries.length) return [`${indent}${title(key)}:`];
    return [`${indent}${title(key)}:`, ...entries.flatMap(([k, x]) => renderValue(k, x, indent + '  ', VERBATIM.has(key) || (key === 'selector' && entries.every(([, y]) => typeof y === 'string'))))];
  }
  const s = String(v);
  if (s.includes('\n')) return [`${indent}${title(key)}:`, ...s.replace(/\n$/, '').split('\n').map((l) => `${indent}  ${l}`)];
  return [`${indent}${title(key)}:  ${s}`];
}

function containerLines(c: Obj, cs: Obj | undefined): string[] {
  const out = [`  ${c.name}:`];
  out.push(field('Image', c.image, '    '));
  if (c.command) out.push(field('Command', (c.command as string[]).join(' '), '    '));
  if (c.args) out.push(field('Args', (c.args as string[]).join(' '), '    '));
  if (c.ports?.length) out.push(field('Port', (c.ports as Obj[]).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', '), '    '));
  const state = cs?.state ?? {};
  const [sname, sval] = Object.entries(state)[0] ?? ['waiting', {}];
  out.push(field('State', titleCase(sname), '    '));
  for (const [k, v] of Object.entries((sval as Obj) ?? {})) out.push(field(titleCase(k), v, '      '));
  out.push(field('Ready', cs?.ready ? 'True' : 'False', '    '));
  out.push(field('Restart Count', cs?.restartCount ?? 0, '    '));
  if (c.resources && Object.keys(c.resources).length) out.push(...Object.entries(c.resources as Obj).flatMap(([k, v]) => renderValue(k, v, '    ')));
  if (c.env?.length) {
    out.push('    Environment:');
    for (const e of c.env as Obj[]) out.push(`      ${e.name}:  ${e.value ?? (e.valueFrom ? JSON.stringify(e.valueFrom) : '')}`);
  }
  return out;
}

function podLines(o: Obj): string[] {
  const spec = o.spec ?? {};
  const st = o.status ?? {};
  const out = [
    field('Node', spec.nodeName),
    field('Status', o.metadata?.deletionTimestamp ? 'Terminating' : st.phase ?? 'Pending'),
    field('IP', st.podIP),
  ];
  if (st.reason) out.push(field('Reason', st.reason));
  if (st.message) out.push(field('Message', st.message));
  const statuses = new Map(((st.containerStatuses ?? []) as Obj[]).map((c) => [c.name, c]));
  for (const [label, list, ss] of [
    ['Init Containers', spec.initContainers, st.initContainerStatuses],
    ['Containers', spec.containers, st.containerStatuses],
  ] as const) {
    if (!list?.length) continue;
    const m = label === 'Containers' ? statuses : new Map(((ss ?? []) as Obj[]).map((c) => [c.name, c]));
    out.push(`${label}:`, ...(list as Obj[]).flatMap((c) => containerLines(c, m.get(c.name))));
  }
  const conds = (st.conditions ?? []) as Obj[];
  if (conds.length) {
    out.push('Conditions:', ...formatTable(['Type', 'Status'], conds.map((c) => [String(c.type), String(c.status)])).map((l) => '  ' + l));
  }
  if (spec.nodeSelector) out.push(...mapField('Node-Selectors', spec.nodeSelector));
  if (spec.tolerations?.length) out.push(field('Tolerations', (spec.tolerations as Obj[]).map((t) => `${t.key ?? ''}${t.value ? '=' + t.value : ''}:${t.effect ?? ''}`).join(', ')));
  return out;
}

/** What a Node's description needs besides the Node: the pods bound to it and its Lease. */
export interface NodeExtras {
  pods: Obj[];
  lease?: Obj;
}

const isNode = (r: ApiResource) => r.kind === 'Node' && r.group === '';

export function describeObject(r: ApiResource, o: Obj, events: Obj[] | undefined, now = Date.now(), node?: NodeExtras): string {
  const md = o.metadata ?? {};
  const out = [field('Name', md.name)];
  if (r.namespaced) out.push(field('Namespace', md.namespace));
  if (isNode(r)) {
    const roles = Object.keys(md.labels ?? {}).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice('node-role.kubernetes.io/'.length)).filter(Boolean);
    out.push(field('Roles', roles.length ? roles.sort().join(',') : '<none>'));
  }
  out.push(...mapField('Labels', md.labels), ...mapField('Annotations', md.annotations, ': '));
  if (md.creationTimestamp) out.push(field('CreationTimestamp', new Date(md.creationTimestamp).toUTCString()));
  if (md.deletionTimestamp) out.push(field('DeletionTimestamp', new Date(md.deletionTimestamp).toUTCString()));
  if (md.finalizers?.length) out.push(field('Finalizers', (md.finalizers as string[]).join(', ')));
  if (md.ownerReferences?.length) out.push(field('Controlled By', (md.ownerReferences as Obj[]).map((x) => `${x.kind}/${x.name}`).join(', ')));
  if (r.kind === 'Pod' && r.group === '') out.push(...podLines(o));
  else if (isNode(r)) out.push(...nodeLines(o, node?.pods ?? [], node?.lease, now));
  else if ((r.kind === 'ConfigMap' || r.kind === 'Secret') && r.group === '') out.push(...dataLines(r.kind, o));
  else {
    for (const [k, v] of Object.entries(o)) {
      if (k === 'apiVersion' || k === 'kind' || k === 'metadata') continue;
      out.push(...renderValue(k, v, ''));
    }
  }
  if (events !== undefined) out.push(...eventLines(events, now));
  return out.join('\n') + '\n';
}

function dataLines(kind: string, o: Obj): string[] {
  const out: string[] = [];
  if (kind === 'Secret') out.push(field('Type', o.type ?? 'Opaque'), '', 'Data', '====');
  else out.push('', 'Data', '====');
  for (const [k, v] of Object.entries((o.data ?? {}) as Record<string, string>)) {
    if (kind === 'Secret') out.push(`${k}:  ${Buffer.from(v, 'base64').length} bytes`);
    else out.push(`${k}:`, '----', ...String(v).replace(/\n$/, '').split('\n'), '');
  }
  if (kind === 'ConfigMap') {
    const bin = Object.entries((o.binaryData ?? {}) as Record<string, string>);
    out.push('', 'BinaryData', '====', ...bin.map(([k, v]) => `${k}: ${Buffer.from(v, 'base64').length} bytes`), '');
  }
  return out;
}

function eventLines(events: Obj[], now: number): string[] {
  if (!events.length) return [field('Events', '<none>')];
  const when = (e: Obj) => e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
  const sorted = [...events].sort((a, b) => Date.parse(when(a) ?? 0) - Date.parse(when(b) ?? 0));
  const rows = sorted.map((e) => [
    String(e.type ?? ''),
    String(e.reason ?? ''),
    (e.count ?? 1) > 1 && e.firstTimestamp ? `${age(when(e), now)} (x${e.count} over ${age(e.firstTimestamp, now)})` : age(when(e), now),
    String(e.source?.component ?? e.reportingComponent ?? ''),
    String(e.message ?? '').trim(),
  ]);
  const lines = formatTable(['Type', 'Reason', 'Age', 'From', 'Message'], [['----', '------', '----', '----', '-------'], ...rows]);
  return ['Events:', ...lines.map((l) => '  ' + l)];
}

/** Events about the object: by field selector, else (the server rejects it) all of the namespace, filtered here. */
export async function eventsFor(ctx: ClientContext, o: Obj, ns: string | undefined): Promise<Obj[] | undefined> {
  const name = o.metadata?.name;
  const path = ns ? `/api/v1/namespaces/${encodeURIComponent(ns)}/events` : '/api/v1/events';
  let items: Obj[];
  try {
    items = (await ctx.client.get(path, { query: { fieldSelector: `involvedObject.name=${name}` } })).items ?? [];
  } catch (e) {
    if (!(e instanceof StatusError)) throw e;
    if (e.code !== 400) return undefined; // no events API: leave the section out
    try {
      items = (await ctx.client.get(path)).items ?? [];
    } catch {
      return undefined;
    }
  }
  const uid = o.metadata?.uid;
  return items.filter((e) => e.involvedObject?.name === name && (e.involvedObject?.kind ?? o.kind) === o.kind && (!uid || !e.involvedObject?.uid || e.involvedObject.uid === uid));
}

export async function describe(ctx: ClientContext, type: string, names: string[]): Promise<number> {
  const r = await ctx.resources.resolve(type);
  const ns = r.namespaced ? ctx.namespace : undefined;
  let targets = names;
  if (!targets.length) {
    const list = await ctx.client.get(resourcePath(r, ns));
    targets = ((list.items ?? []) as Obj[]).map((x) => x.metadata.name);
  }
  let failed = false;
  let first = true;
  for (const name of targets) {
    try {
      const o = { kind: r.kind, ...(await ctx.client.get(resourcePath(r, ns, name))) };
      const events = await eventsFor(ctx, o, ns);
      ctx.out((first ? '' : '\n\n') + describeObject(r, o, events, Date.now(), isNode(r) ? await nodeExtras(ctx, name) : undefined));
      first = false;
    } catch (e) {
      failed = true;
      ctx.err((e as Error).message + '\n');
    }
  }
  return failed ? 1 : 0;
}

/** The pods bound to a node (every namespace) and its Lease in kube-node-lease (none: left out). */
async function nodeExtras(ctx: ClientContext, name: string): Promise<NodeExtras> {
  const [pods, lease] = await Promise.all([
    ctx.client.get('/api/v1/pods', { query: { fieldSelector: `spec.nodeName=${name}` } }).then((l) => (l.items ?? []) as Obj[]),
    ctx.client.get(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${encodeURIComponent(name)}`).catch(() => undefined),
  ]);
  return { pods, lease };
}
