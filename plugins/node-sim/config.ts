// Configuration of the hollow nodes: defaults, node groups (inline or from a YAML file), and the
// flat list of nodes they expand to.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { CRI_METHODS } from '@skiff/node-api';

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** An entry of `status.images` on the Node (what the ImageLocality scheduler score looks at). */
export interface NodeImage {
  names: string[];
  sizeBytes: number;
}

/** What every node of a group looks like; unset fields come from the top-level config. */
export interface NodeShape {
  prefix?: string;
  cpu?: string;
  memory?: string;
  pods?: number;
  ephemeralStorage?: string;
  /** e.g. `{ "nvidia.com/gpu": "8" }`: capacity and allocatable */
  extendedResources?: Record<string, string>;
  labels?: Record<string, string>;
  taints?: Taint[];
  images?: NodeImage[];
}

/** A node group of a heterogeneous cluster (one entry of `nodesFile`). */
export interface NodeGroup extends NodeShape {
  count: number;
}

/** What a node looks like once resolved: the top-level config's shape, and each NodeSpec's. */
export interface ResolvedShape {
  cpu: string;
  memory: string;
  pods: number;
  ephemeralStorage: string;
  extendedResources: Record<string, string>;
  labels: Record<string, string>;
  taints: Taint[];
  images?: NodeImage[];
}

export interface HollowNodesConfig extends ResolvedShape {
  /** how many nodes (ignored when `groups` or `nodesFile` are given) */
  nodes: number;
  prefix: string;
  /** Lease renewal period per node; renewals are spread evenly over it (default 10). */
  leaseIntervalSeconds: number;
  /** Lease spec.leaseDurationSeconds (default 40, as the kubelet). */
  leaseDurationSeconds: number;
  /** Node status heartbeat (conditions' lastHeartbeatTime) period, spread like leases; 0 = off (default 300, the kubelet's nodeStatusReportFrequency). */
  nodeStatusIntervalSeconds: number;
  /** YAML list of node groups `[{count, prefix?, cpu?, ...}]`; relative to the working directory. */
  nodesFile?: string;
  /** node groups inline (the plugin-config form of nodesFile) */
  groups?: NodeGroup[];
  /** Node registrations in flight (default 64). */
  registerConcurrency: number;
  /** Pod status / deletion writes in flight (default 128). */
  podConcurrency: number;
  /** Lease renewals and node heartbeats in flight (default 16: enough for thousands of nodes, and pod starts never queue behind a wall of lease writes). */
  leaseConcurrency: number;
  /** Simulated container start time: a bound pod turns Running this long after it is seen (default 0). */
  podStartDelayMs: number;
  /** Delete the Nodes (and their Leases) on stop (default false). */
  deleteNodesOnStop: boolean;
  /** The CRI runtime the plugin provides (for a kubelet in the same host: a hollow kubelet node). */
  runtime?: SimRuntimeConfig;
}

/** The simulated CRI runtime (FakeRuntime of @skiff/node-api/testing). */
export interface SimRuntimeConfig {
  /** latency of each CRI call in ms, by method (runPodSandbox, pullImage, ...) */
  latencyMs?: Record<string, number>;
  /** pod addresses until the kubelet gives the Node's podCIDR (default 10.88.0.0/16) */
  podCIDR?: string;
  /** NetworkReady false until the kubelet gives the Node's podCIDR (default false) */
  waitForPodCIDR?: boolean;
  /** the size of a pulled image (default 1 MiB) */
  imageSizeBytes?: number;
}


export const DEFAULTS: HollowNodesConfig = {
  nodes: 10,
  prefix: 'hollow',
  cpu: '32',
  memory: '256Gi',
  pods: 110,
  ephemeralStorage: '100Gi',
  extendedResources: {},
  labels: {},
  taints: [],
  leaseIntervalSeconds: 10,
  leaseDurationSeconds: 40,
  nodeStatusIntervalSeconds: 300,
  registerConcurrency: 64,
  podConcurrency: 128,
  leaseConcurrency: 16,
  podStartDelayMs: 0,
  deleteNodesOnStop: false,
};

/** One node to simulate, fully resolved. `index` is its position among all nodes of this instance. */
export interface NodeSpec extends ResolvedShape {
  name: string;
  index: number;
}

const EFFECTS = new Set(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

/** Parse `key=value:Effect` or `key:Effect` (kubectl taint syntax). */
export function parseTaint(s: string): Taint {
  const m = s.match(/^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/);
  if (!m) throw new Error(`invalid taint "${s}": expected key=value:Effect or key:Effect (Effect: NoSchedule, PreferNoSchedule, NoExecute)`);
  return m[2] !== undefined && m[2] !== '' ? { key: m[1]!, value: m[2], effect: m[3] as Taint['effect'] } : { key: m[1]!, effect: m[3] as Taint['effect'] };
}

/** Parse `key=value` pairs into a map. */
export function parsePairs(list: string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of list) {
    const i = s.indexOf('=');
    if (i <= 0) throw new Error(`invalid ${what} "${s}": expected key=value`);
    out[s.slice(0, i)] = s.slice(i + 1);
  }
  return out;
}

function checkGroup(g: unknown, where: string): NodeGroup {
  if (typeof g !== 'object' || g === null || Array.isArray(g)) throw new Error(`${where}: a node group must be a mapping`);
  const o = g as Record<string, unknown>;
  if (typeof o.count !== 'number' || !Number.isInteger(o.count) || o.count < 0) throw new Error(`${where}: "count" must be a non-negative integer`);
  for (const f of ['prefix', 'cpu', 'memory', 'ephemeralStorage'])
    if (o[f] !== undefined && typeof o[f] !== 'string' && typeof o[f] !== 'number') throw new Error(`${where}: "${f}" must be a string`);
  if (o.pods !== undefined && (typeof o.pods !== 'number' || !Number.isInteger(o.pods))) throw new Error(`${where}: "pods" must be an integer`);
  for (const f of ['labels', 'extendedResources'])
    if (o[f] !== undefined && (typeof o[f] !== 'object' || o[f] === null || Array.isArray(o[f]))) throw new Error(`${where}: "${f}" must be a mapping`);
  const taints = o.taints === undefined ? undefined : Array.isArray(o.taints) ? o.taints : undefined;
  if (o.taints !== undefined && !taints) throw new Error(`${where}: "taints" must be a list`);
  const out: NodeGroup = { ...(o as unknown as NodeGroup) };
  for (const f of ['cpu', 'memory', 'ephemeralStorage'] as const) if (typeof o[f] === 'number') out[f] = String(o[f]);
  if (taints) {
    out.taints = taints.map((t, i) => {
      if (typeof t === 'string') return parseTaint(t);
      const tt = t as Record<string, unknown>;
      if (typeof tt?.key !== 'string' || !EFFECTS.has(String(tt.effect))) throw new Error(`${where}: taints[${i}] needs a key and an effect`);
      return tt as unknown as Taint;
    });
  }
  if (o.extendedResources) out.extendedResources = Object.fromEntries(Object.entries(o.extendedResources as object).map(([k, v]) => [k, String(v)]));
  if (o.labels) out.labels = Object.fromEntries(Object.entries(o.labels as object).map(([k, v]) => [k, String(v)]));
  return out;
}

/** Parse a nodes file: a YAML list of groups (or a mapping with a `groups` list). */
export function parseNodeGroups(text: string, where = 'nodes file'): NodeGroup[] {
  let doc = parse(text) as unknown;
  if (doc && typeof doc === 'object' && !Array.isArray(doc) && Array.isArray((doc as { groups?: unknown }).groups)) doc = (doc as { groups: unknown }).groups;
  if (!Array.isArray(doc)) throw new Error(`${where}: expected a list of node groups [{count, prefix?, cpu?, memory?, pods?, labels?, taints?, extendedResources?}]`);
  return doc.map((g, i) => checkGroup(g, `${where}[${i}]`));
}

export function loadNodeGroups(file: string): NodeGroup[] {
  return parseNodeGroups(readFileSync(file, 'utf8'), file);
}

/** Defaults applied to a partial config. */
export function resolveConfig(partial: Partial<HollowNodesConfig> = {}): HollowNodesConfig {
  const c = { ...DEFAULTS } as HollowNodesConfig;
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) (c as unknown as Record<string, unknown>)[k] = v;
  if (!Number.isInteger(c.nodes) || c.nodes < 0) throw new Error('nodes must be a non-negative integer');
  if (!(c.leaseIntervalSeconds > 0)) throw new Error('leaseIntervalSeconds must be > 0');
  return c;
}

/** Expand the config into the nodes: groups (file or inline) or `nodes` × the top-level shape. */
export function expandNodes(c: HollowNodesConfig): NodeSpec[] {
  const groups: NodeGroup[] = c.nodesFile ? loadNodeGroups(c.nodesFile) : c.groups ?? [{ count: c.nodes }];
  const next = new Map<string, number>(); // per prefix: groups sharing a prefix continue its numbering
  const out: NodeSpec[] = [];
  const seen = new Set<string>();
  for (const g of groups) {
    const prefix = g.prefix ?? c.prefix;
    for (let j = 0; j < g.count; j++) {
      const i = next.get(prefix) ?? 0;
      next.set(prefix, i + 1);
      const name = `${prefix}-${i}`;
      if (seen.has(name)) throw new Error(`duplicate node name ${name}`);
      seen.add(name);
      out.push({
        name,
        index: out.length,
        cpu: g.cpu ?? c.cpu,
        memory: g.memory ?? c.memory,
        pods: g.pods ?? c.pods,
        ephemeralStorage: g.ephemeralStorage ?? c.ephemeralStorage,
        extendedResources: { ...c.extendedResources, ...g.extendedResources },
        labels: { ...c.labels, ...g.labels },
        taints: g.taints ?? c.taints,
        images: g.images ?? c.images,
      });
    }
  }
  return out;
}

/** JSON Schema of the plugin config (defaults applied by the plugin host). */
export const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    nodes: { type: 'integer', minimum: 0, default: DEFAULTS.nodes },
    prefix: { type: 'string', default: DEFAULTS.prefix },
    cpu: { type: 'string', default: DEFAULTS.cpu },
    memory: { type: 'string', default: DEFAULTS.memory },
    pods: { type: 'integer', minimum: 0, default: DEFAULTS.pods },
    ephemeralStorage: { type: 'string', default: DEFAULTS.ephemeralStorage },
    extendedResources: { type: 'object', additionalProperties: { type: 'string' }, default: {} },
    labels: { type: 'object', additionalProperties: { type: 'string' }, default: {} },
    taints: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        required: ['key', 'effect'],
        properties: { key: { type: 'string' }, value: { type: 'string' }, effect: { enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] } },
      },
    },
    images: { type: 'array', items: { type: 'object', properties: { names: { type: 'array', items: { type: 'string' } }, sizeBytes: { type: 'integer' } } } },
    leaseIntervalSeconds: { type: 'number', exclusiveMinimum: 0, default: DEFAULTS.leaseIntervalSeconds },
    leaseDurationSeconds: { type: 'integer', minimum: 1, default: DEFAULTS.leaseDurationSeconds },
    nodeStatusIntervalSeconds: { type: 'number', minimum: 0, default: DEFAULTS.nodeStatusIntervalSeconds },
    nodesFile: { type: 'string' },
    groups: { type: 'array', items: { type: 'object', required: ['count'], properties: { count: { type: 'integer', minimum: 0 } } } },
    registerConcurrency: { type: 'integer', minimum: 1, default: DEFAULTS.registerConcurrency },
    podConcurrency: { type: 'integer', minimum: 1, default: DEFAULTS.podConcurrency },
    leaseConcurrency: { type: 'integer', minimum: 1, default: DEFAULTS.leaseConcurrency },
    podStartDelayMs: { type: 'integer', minimum: 0, default: DEFAULTS.podStartDelayMs },
    deleteNodesOnStop: { type: 'boolean', default: DEFAULTS.deleteNodesOnStop },
    runtime: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        latencyMs: { type: 'object', propertyNames: { enum: CRI_METHODS }, additionalProperties: { type: 'integer', minimum: 0 }, default: {} },
        podCIDR: { type: 'string', pattern: '^\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}$' },
        waitForPodCIDR: { type: 'boolean', default: false },
        imageSizeBytes: { type: 'integer', minimum: 0 },
      },
    },
  },
} as const;
