// The downward API's values, as the kubelet computes them for env (fieldRef, resourceFieldRef) and
// for downwardAPI / projected volume files: pkg/fieldpath, pkg/api/v1/pod (field-label conversion),
// pkg/api/v1/resource (ExtractContainerResourceValue, MergeContainerResourceLimits).
import { isQualifiedName, parseMilliQuantity, parseQuantity } from '@skiff/api';
import type { Container, ObjectFieldSelector, Pod, ResourceFieldSelector, ResourceList } from './types.ts';

/** `metadata.labels['key']` → ["metadata.labels", "key"] (kube's SplitMaybeSubscriptedPath). */
export function splitSubscriptedPath(fieldPath: string): [path: string, subscript: string] | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const s = fieldPath.slice(0, -2);
  const i = s.indexOf("['");
  if (i <= 0) return undefined;
  return [s.slice(0, i), s.slice(i + 2)];
}

const POD_FIELD_LABELS = new Set([
  'metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid',
  'spec.nodeName', 'spec.restartPolicy', 'spec.serviceAccountName', 'spec.schedulerName',
  'status.phase', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
]);

/** kube's ConvertDownwardAPIFieldLabel for pods: validates (and maps the legacy spec.host). */
export function convertFieldLabel(apiVersion: string | undefined, label: string): string {
  const version = apiVersion || 'v1';
  if (version !== 'v1') throw new Error(`unsupported pod version: ${version}`);
  const sub = splitSubscriptedPath(label);
  if (sub) {
    if (sub[0] === 'metadata.annotations' || sub[0] === 'metadata.labels') return label;
    throw new Error(`field label does not support subscript: ${label}`);
  }
  if (POD_FIELD_LABELS.has(label)) return label;
  if (label === 'spec.host') return 'spec.nodeName';
  throw new Error(`field label not supported: ${label}`);
}

/** Go's %q of a string: what FormatMap writes for labels and annotations files. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c === 0x07) out += '\\a';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0b) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if ((c >= 0x80 && c < 0xa0) || c === 0xad || c === 0x2028 || c === 0x2029 || c === 0xfeff || (c >= 0xd800 && c < 0xe000))
      out += c > 0xffff ? `\\U${c.toString(16).padStart(8, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** `k1="v1"\nk2="v2"`, keys sorted (kube's FormatMap). */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${goQuote(m![k])}`)
    .join('\n');
}

/**
 * kube's ExtractFieldPathAsString: the metadata fields (the only ones a downwardAPI volume may name;
 * env's other fields are resolved by podFieldValue first).
 */
export function extractFieldPathAsString(pod: Pod, fieldPath: string): string {
  const meta = pod.metadata;
  const sub = splitSubscriptedPath(fieldPath);
  if (sub) {
    const [path, key] = sub;
    if (path === 'metadata.annotations') {
      const errs = isQualifiedName(key.toLowerCase());
      if (errs.length) throw new Error(`invalid key subscript in ${fieldPath}: ${errs.join(';')}`);
      return meta.annotations?.[key] ?? '';
    }
    if (path === 'metadata.labels') {
      const errs = isQualifiedName(key);
      if (errs.length) throw new Error(`invalid key subscript in ${fieldPath}: ${errs.join(';')}`);
      return meta.labels?.[key] ?? '';
    }
    throw new Error(`fieldPath "${fieldPath}" does not support subscript`);
  }
  switch (fieldPath) {
    case 'metadata.annotations':
      return formatMap(meta.annotations);
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
  }
  throw new Error(`unsupported fieldPath: ${fieldPath}`);
}

export interface PodFieldContext {
  /** the pod's IPs, primary first (after the sandbox started); default: the pod's status */
  podIPs?: readonly string[];
  /** the node's IPs, primary first; default: the pod's status.hostIP(s) */
  hostIPs?: readonly string[];
}

/** An env var's fieldRef value (kubelet's podFieldSelectorRuntimeValue). */
export function podFieldValue(sel: ObjectFieldSelector, pod: Pod, ctx: PodFieldContext = {}): string {
  const path = convertFieldLabel(sel.apiVersion, sel.fieldPath);
  const podIPs = ctx.podIPs ?? pod.status?.podIPs?.map((p) => p.ip) ?? (pod.status?.podIP ? [pod.status.podIP] : []);
  const hostIPs = ctx.hostIPs ?? pod.status?.hostIPs?.map((p) => p.ip) ?? (pod.status?.hostIP ? [pod.status.hostIP] : []);
  switch (path) {
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.hostIP':
      if (!hostIPs.length) throw new Error('cannot get the node IP: none known');
      return hostIPs[0];
    case 'status.hostIPs':
      if (!hostIPs.length) throw new Error('cannot get the node IPs: none known');
      return hostIPs.join(',');
    case 'status.podIP':
      return podIPs[0] ?? '';
    case 'status.podIPs':
      return podIPs.join(',');
  }
  // spec.restartPolicy, spec.schedulerName, status.phase pass the label check but, as in kube,
  // end here as unsupported
  return extractFieldPathAsString(pod, path);
}

const HUGEPAGES = /^hugepages-/;

/** A container with its missing cpu / memory / ephemeral-storage limits set to the node's allocatable. */
export function withAllocatableLimits(container: Container, allocatable: ResourceList | undefined): Container {
  if (!allocatable) return container;
  const limits: ResourceList = { ...(container.resources?.limits ?? {}) };
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    if (limits[r] === undefined && allocatable[r] !== undefined) limits[r] = allocatable[r];
  }
  return { ...container, resources: { ...(container.resources ?? {}), limits } };
}

function findContainer(pod: Pod, name: string): Container {
  const c = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((x) => x.name === name);
  if (!c) throw new Error(`container ${name} not found`);
  return c;
}

const isZeroDivisor = (d: string | number | undefined) => d === undefined || d === '' || parseQuantity(d) === 0;

/** kube's ExtractContainerResourceValue: `ceil(value / divisor)` as an integer string. */
export function containerResourceValue(sel: ResourceFieldSelector, container: Container): string {
  const divisor = isZeroDivisor(sel.divisor) ? '1' : sel.divisor!;
  const [kind, name] = splitOnce(sel.resource);
  if (kind === 'limits' || kind === 'requests') {
    const list = kind === 'limits' ? container.resources?.limits : container.resources?.requests;
    const q = list?.[name];
    if (name === 'cpu') {
      const v = q === undefined ? 0 : parseMilliQuantity(q);
      return String(Math.ceil(v / parseMilliQuantity(divisor)));
    }
    if (name === 'memory' || name === 'ephemeral-storage' || HUGEPAGES.test(name)) {
      const v = q === undefined ? 0 : Math.ceil(parseQuantity(q));
      return String(Math.ceil(v / Math.ceil(parseQuantity(divisor))));
    }
  }
  throw new Error(`unsupported container resource : ${sel.resource}`);
}

function splitOnce(s: string): [string, string] {
  const i = s.indexOf('.');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

/**
 * A resourceFieldRef's value: of `container` (env without containerName) or of the named container,
 * with limits defaulted to the node's allocatable (as the kubelet does for both env and volumes).
 */
export function resourceFieldValue(sel: ResourceFieldSelector, pod: Pod, container: Container | undefined, allocatable: ResourceList | undefined): string {
  const target = sel.containerName ? findContainer(pod, sel.containerName) : container;
  if (!target) throw new Error(`resourceFieldRef ${sel.resource}: no containerName`);
  return containerResourceValue(sel, withAllocatableLimits(target, allocatable));
}
