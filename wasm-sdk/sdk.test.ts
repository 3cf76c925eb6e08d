// The AssemblyScript SDK through real components: every WIT field lifted as sent (fixtures that
// echo what they receive as JSON), reasons deduplicated and marked unresolvable, the JSON reader,
// JsonPatch, traps, no imports, and the project templates built from outside the repo.
import { transpile } from '@bytecodealliance/jco';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildComponent } from './build.ts';
import { newProject } from './new-project.ts';
import { buildSource, examplePath, loadComponent, type LoadedComponent } from './testing.ts';
import type { AdmissionPolicyExports, SchedulerPolicyExports, WitAdmissionRequest, WitNode, WitPod, WitResources } from './wit-values.ts';

const loaded: LoadedComponent<unknown>[] = [];
afterAll(async () => {
  for (const c of loaded) await c.dispose();
});
async function load<T>(bytes: Uint8Array): Promise<T> {
  const c = await loadComponent<T>(bytes);
  loaded.push(c);
  return c.exports;
}

/** WIT values as the echo fixtures print them: s64 as decimal strings. */
const plain = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));

// A scheduler policy that answers filter with everything it received, as JSON.
const ECHO_SCHEDULER = `
import { Label, Node, Pod, Resources, SchedulerPolicy, Toleration, jsonString, register } from "skiff";

function labels(ls: Label[]): string {
  const out = new Array<string>();
  for (let i = 0; i < ls.length; i++) out.push('{"key":' + jsonString(ls[i].key) + ',"value":' + jsonString(ls[i].value) + "}");
  return "[" + out.join(",") + "]";
}
function str(s: i64): string { return '"' + s.toString() + '"'; }
function resources(r: Resources): string {
  const ext = new Array<string>();
  for (let i = 0; i < r.extended.length; i++) ext.push('{"name":' + jsonString(r.extended[i].name) + ',"value":' + str(r.extended[i].value) + "}");
  return '{"milliCpu":' + str(r.milliCpu) + ',"memory":' + str(r.memory) + ',"ephemeralStorage":' + str(r.ephemeralStorage) +
    ',"pods":' + str(r.pods) + ',"extended":[' + ext.join(",") + "]}";
}
const EFFECTS = ["no-schedule", "prefer-no-schedule", "no-execute"];
function node(n: Node): string {
  const taints = new Array<string>();
  for (let i = 0; i < n.taints.length; i++) {
    const t = n.taints[i];
    taints.push('{"key":' + jsonString(t.key) + ',"value":' + jsonString(t.value) + ',"effect":"' + EFFECTS[t.effect] + '"}');
  }
  return '{"name":' + jsonString(n.name) + ',"labels":' + labels(n.labels) + ',"taints":[' + taints.join(",") + "]" +
    ',"unschedulable":' + (n.unschedulable ? "true" : "false") + ',"allocatable":' + resources(n.allocatable) +
    ',"requested":' + resources(n.requested) + ',"podCount":' + n.podCount.toString() + "}";
}
function pod(p: Pod): string {
  const tols = new Array<string>();
  for (let i = 0; i < p.tolerations.length; i++) {
    const t: Toleration = p.tolerations[i];
    tols.push('{"key":' + jsonString(t.key) + ',"operator":' + jsonString(t.operator) + ',"value":' + jsonString(t.value) + ',"effect":' + jsonString(t.effect) + "}");
  }
  return '{"namespace":' + jsonString(p.namespace) + ',"name":' + jsonString(p.name) + ',"uid":' + jsonString(p.uid) +
    ',"labels":' + labels(p.labels) + ',"requests":' + resources(p.requests) + ',"priority":' + p.priority.toString() +
    ',"schedulerName":' + jsonString(p.schedulerName) + ',"nodeSelector":' + labels(p.nodeSelector) + ',"tolerations":[' + tols.join(",") + "]}";
}

class Echo extends SchedulerPolicy {
  constructor() { super(); this.implementsFilter = true; }
  configure(config: string): string | null { return config == "fail" ? "echo: " + config : null; }
  filter(p: Pod, n: Node): string | null {
    if (n.name == "fits") return null;
    if (n.name.startsWith("same")) return n.unschedulable ? this.unresolvable("same reason") : "same reason";
    const echo = '{"pod":' + pod(p) + ',"node":' + node(n) + "}";
    return n.unschedulable ? this.unresolvable(echo) : echo;
  }
  score(p: Pod, n: Node): i32 { return p.priority + <i32>n.podCount; }
}
register(new Echo());
`;

// An admission policy whose validate echoes the request, and whose mutate parses the object with
// the SDK's JSON reader, writes it back as JSON, and builds a patch from the config.
const ECHO_ADMISSION = `
import { AdmissionPolicy, AdmissionRequest, JsonKind, JsonPatch, JsonValue, Label, Operation, jsonError, jsonString, parseJson, register } from "skiff";

function labels(ls: Label[]): string {
  const out = new Array<string>();
  for (let i = 0; i < ls.length; i++) out.push('{"key":' + jsonString(ls[i].key) + ',"value":' + jsonString(ls[i].value) + "}");
  return "[" + out.join(",") + "]";
}
const OPS = ["create", "update", "delete", "connect"];
function write(v: JsonValue): string {
  if (v.kind == JsonKind.Null) return "null";
  if (v.kind == JsonKind.Bool) return v.bool ? "true" : "false";
  if (v.kind == JsonKind.Number) return v.num.toString();
  if (v.kind == JsonKind.String) return jsonString(v.str);
  const parts = new Array<string>();
  for (let i = 0; i < v.items.length; i++) parts.push((v.kind == JsonKind.Object ? jsonString(v.keys[i]) + ":" : "") + write(v.items[i]));
  return v.kind == JsonKind.Array ? "[" + parts.join(",") + "]" : "{" + parts.join(",") + "}";
}

class Echo extends AdmissionPolicy {
  config: JsonValue = new JsonValue();
  constructor() { super(); this.implementsValidate = true; this.implementsMutate = true; }
  configure(config: string): string | null {
    const c = parseJson(config);
    if (c === null) return jsonError();
    this.config = c;
    return null;
  }
  validate(r: AdmissionRequest): string | null {
    if (r.name == "allowed") return null;
    const old = r.oldObject;
    return '{"operation":"' + OPS[r.operation] + '","group":' + jsonString(r.group) + ',"version":' + jsonString(r.version) +
      ',"kind":' + jsonString(r.kind) + ',"namespace":' + jsonString(r.namespace) + ',"name":' + jsonString(r.name) +
      ',"labels":' + labels(r.labels) + ',"annotations":' + labels(r.annotations) + ',"object":' + jsonString(r.object) +
      (old === null ? "" : ',"oldObject":' + jsonString(old)) + ',"dryRun":' + (r.dryRun ? "true" : "false") + "}";
  }
  mutate(r: AdmissionRequest): string | null {
    if (r.name == "deny") return this.deny("denied by mutate");
    if (r.name == "unchanged") return null;
    if (r.name == "json") {
      const v = parseJson(r.object);
      return v === null ? this.deny(jsonError()) : write(v);
    }
    const patch = new JsonPatch(r);
    const labels = this.config.get("labels");
    if (labels !== null) for (let i = 0; i < labels.keys.length; i++) patch.setLabel(labels.keys[i], labels.items[i].str);
    const annotations = this.config.get("annotations");
    if (annotations !== null) for (let i = 0; i < annotations.keys.length; i++) patch.setAnnotation(annotations.keys[i], annotations.items[i].str);
    return patch.removeLabel("drop-me").toJson();
  }
}
register(new Echo());
`;

const TRAPS = `
import { Node, Pod, SchedulerPolicy, register } from "skiff";
class Traps extends SchedulerPolicy {
  constructor() { super(); this.implementsFilter = true; }
  filter(pod: Pod, node: Node): string | null {
    if (pod.name == "abort") abort("asked to");
    if (pod.name == "out-of-bounds") { const a = new Array<i32>(1); if (a[pod.priority] == 0) return "never"; }
    return null;
  }
}
register(new Traps());
`;

const res = (o: Partial<WitResources> = {}): WitResources => ({ milliCpu: 0n, memory: 0n, ephemeralStorage: 0n, pods: 0n, extended: [], ...o });
const witNode = (name: string, o: Partial<WitNode> = {}): WitNode => ({
  name, labels: [], taints: [], unschedulable: false, allocatable: res(), requested: res(), podCount: 0, ...o,
});
const witPod = (o: Partial<WitPod> = {}): WitPod => ({
  namespace: 'default', name: 'p', uid: 'u', labels: [], requests: res(), priority: 0, schedulerName: 'default-scheduler', nodeSelector: [], tolerations: [], ...o,
});
const request = (o: Partial<WitAdmissionRequest> = {}): WitAdmissionRequest => ({
  operation: 'create', group: '', version: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'cm', labels: [], annotations: [], object: '{}', dryRun: false, ...o,
});

const built: Record<string, Uint8Array> = {};
beforeAll(async () => {
  built.echoScheduler = await buildSource(ECHO_SCHEDULER, 'scheduler-policy');
  built.echoAdmission = await buildSource(ECHO_ADMISSION, 'admission-policy');
  built.traps = await buildSource(TRAPS, 'scheduler-policy');
  built.labelValidator = (await buildComponent({ entry: examplePath('label-validator'), world: 'admission-policy' })).bytes;
  built.wrongWorld = (await buildComponent({ entry: examplePath('label-validator'), world: 'scheduler-policy' })).bytes;
});

describe('scheduler-policy world', () => {
  const odd = 'nœud "quoted" \\ back\nslash 🚀 日本';
  const big = 2n ** 62n + 12345n;
  const nodes: WitNode[] = [
    witNode(odd, {
      labels: [{ key: 'kubernetes.io/hostname', value: odd }, { key: '', value: '' }],
      taints: [
        { key: 'a', value: 'x', effect: 'no-schedule' },
        { key: 'b', value: '', effect: 'prefer-no-schedule' },
        { key: 'c', value: 'z', effect: 'no-execute' },
      ],
      allocatable: res({ milliCpu: 64000n, memory: big, ephemeralStorage: 1n, pods: 110n, extended: [{ name: 'nvidia.com/gpu', value: 8n }, { name: 'example.com/neg', value: -5n }] }),
      requested: res({ milliCpu: -1n, memory: -big, extended: [{ name: 'nvidia.com/gpu', value: 3n }] }),
      podCount: 4_000_000_000,
    }),
    witNode('n2', { unschedulable: true }),
    witNode('fits'),
    witNode('same-1'),
    witNode('same-2'),
    witNode('same-3', { unschedulable: true }),
  ];
  const pod = witPod({
    namespace: 'ns-ü', name: 'web-0', uid: '1234-5678', labels: [{ key: 'app', value: 'web' }],
    requests: res({ milliCpu: 1500n, memory: 3n * 1024n ** 3n, pods: 1n, extended: [{ name: 'example.com/foo', value: 2n }] }),
    priority: -2_000_000_000, schedulerName: 'my-scheduler', nodeSelector: [{ key: 'disk', value: 'ssd' }],
    tolerations: [{ key: 'a', operator: 'Equal', value: 'x', effect: 'NoSchedule' }, { key: '', operator: 'Exists', value: '', effect: '' }],
  });

  it('lifts every field of pods and nodes as the host sent them, and answers per slot', async () => {
    const api = await load<SchedulerPolicyExports>(built.echoScheduler);
    expect(api.configure('{}')).toEqual({ filter: true, score: false });
    api.updateNodes(nodes.map((node, i) => ({ slot: i * 7, node })));
    const r = api.filter(pod, [0, 7, 14]);
    expect(Array.from(r.verdicts)).toEqual([1, 2, 0]);
    expect(r.reasons.map((x) => x.unresolvable)).toEqual([false, true]);
    expect(JSON.parse(r.reasons[0].message)).toEqual({ pod: plain(pod), node: plain(nodes[0]) });
    expect(JSON.parse(r.reasons[1].message)).toEqual({ pod: plain(pod), node: plain(nodes[1]) });
    expect(Array.from(api.score(pod, [14, 0]))).toEqual([-2_000_000_000, (-2_000_000_000 + 4_000_000_000) | 0]); // s32 arithmetic wraps
  });

  it('deduplicates reasons per call, by message and unresolvability', async () => {
    const api = await load<SchedulerPolicyExports>(built.echoScheduler);
    api.configure('{}');
    api.updateNodes(nodes.map((node, i) => ({ slot: i, node })));
    const r = api.filter(witPod(), [3, 2, 4, 5, 3, 5, 2]);
    expect(Array.from(r.verdicts)).toEqual([1, 0, 1, 2, 1, 2, 0]);
    expect(r.reasons).toEqual([{ message: 'same reason', unresolvable: false }, { message: 'same reason', unresolvable: true }]);
    // an empty call is fine too
    expect(api.filter(witPod(), new Uint32Array())).toEqual({ verdicts: new Uint8Array(), reasons: [] });
    expect(Array.from(api.score(witPod(), []))).toEqual([]);
  });

  it('rejects a config with the message the policy gives', async () => {
    const api = await load<SchedulerPolicyExports>(built.echoScheduler);
    expect(() => api.configure('fail')).toThrow('echo: fail');
    expect(api.configure('{}')).toEqual({ filter: true, score: false });
  });

  it('says so at configure when the file registers a policy of the other world', async () => {
    const api = await load<SchedulerPolicyExports>(built.wrongWorld);
    expect(() => api.configure('{}')).toThrow('no SchedulerPolicy registered: the policy file must call register(new MyPolicy())');
  });

  it('has no imports, and a trapping guest throws to the host', async () => {
    for (const bytes of Object.values(built)) expect((await transpile(bytes, { name: 'p' })).imports).toEqual([]);
    const api = await load<SchedulerPolicyExports>(built.traps);
    api.configure('{}');
    api.updateNodes([{ slot: 0, node: witNode('a') }, { slot: 1, node: witNode('b') }]);
    expect(Array.from(api.filter(witPod({ name: 'fine' }), [0, 1]).verdicts)).toEqual([0, 0]);
    expect(() => api.filter(witPod({ name: 'abort' }), [0])).toThrow(/unreachable/);
    const again = await load<SchedulerPolicyExports>(built.traps);
    again.configure('{}');
    again.updateNodes([{ slot: 0, node: witNode('a') }, { slot: 1 }]);
    expect(() => again.filter(witPod({ name: 'out-of-bounds', priority: 9 }), [0])).toThrow(/unreachable/);
    const third = await load<SchedulerPolicyExports>(built.traps);
    third.configure('{}');
    third.updateNodes([{ slot: 0, node: witNode('a') }, { slot: 1, node: witNode('b') }, { slot: 1 }]);
    // a freed slot, or one never filled: the guest cannot answer for it
    expect(() => third.filter(witPod(), [0, 1])).toThrow(/unreachable/);
  });
});

describe('admission-policy world', () => {
  it('lifts every field of an admission request', async () => {
    const api = await load<AdmissionPolicyExports>(built.echoAdmission);
    expect(api.configure('{}')).toEqual({ validate: true, mutate: true });
    const full = request({
      operation: 'update', group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'prod', name: 'web ✓',
      labels: [{ key: 'app', value: 'web' }], annotations: [{ key: 'note', value: 'line\nbreak "q"' }],
      object: '{"a":1}', oldObject: '{"a":0}', dryRun: true,
    });
    for (const r of [full, request({ operation: 'delete', object: '' }), request({ operation: 'connect' })]) {
      let message = '';
      try {
        api.validate(r);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(JSON.parse(message)).toEqual(plain(r));
    }
    expect(api.validate(request({ name: 'allowed' }))).toBeUndefined();
  });

  it('reads JSON with the SDK reader as JSON.parse does', async () => {
    const api = await load<AdmissionPolicyExports>(built.echoAdmission);
    api.configure('{}');
    const docs = [
      '{"metadata":{"name":"x","labels":{"a":"b"}},"spec":{"replicas":3,"ratio":-0.25,"big":1.5e300,"tiny":2E-7,"on":true,"off":false,"none":null}}',
      ' [ 1 , [ ] , { } , "esc \\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\ud83d\\ude80 \\u0000" ] ',
      '{"dup":1,"dup":2}',
      '"just a string"',
      '0',
    ];
    for (const doc of docs) expect(JSON.parse(api.mutate(request({ name: 'json', object: doc }))!)).toEqual(JSON.parse(doc));
    for (const bad of ['{', '{"a" 1}', '[1,]', '"open', 'tru', '01x', '{"a":1} x', '"\\x"', '-']) {
      expect(() => api.mutate(request({ name: 'json', object: bad })), bad).toThrow(/offset \d+$/);
    }
  });

  it('builds JSON patches with escaped keys and values, and denies from mutate', async () => {
    const api = await load<AdmissionPolicyExports>(built.echoAdmission);
    const labels = { 'example.com/team': 'a "b" \\ c', 'tilde~key': 'line\nbreak\ttab\u0001', emoji: '🚀 ü' };
    api.configure(JSON.stringify({ labels, annotations: { 'skiff.io/x': 'y' } }));
    const patch = JSON.parse(api.mutate(request({ labels: [{ key: 'drop-me', value: '1' }] }))!);
    expect(patch).toEqual([
      { op: 'add', path: '/metadata/labels/example.com~1team', value: labels['example.com/team'] },
      { op: 'add', path: '/metadata/labels/tilde~0key', value: labels['tilde~key'] },
      { op: 'add', path: '/metadata/labels/emoji', value: labels.emoji },
      { op: 'add', path: '/metadata/annotations', value: {} },
      { op: 'add', path: '/metadata/annotations/skiff.io~1x', value: 'y' },
      { op: 'remove', path: '/metadata/labels/drop-me' },
    ]);
    // no labels yet: the map is created first
    expect(JSON.parse(api.mutate(request())!).slice(0, 2)).toEqual([
      { op: 'add', path: '/metadata/labels', value: {} },
      { op: 'add', path: '/metadata/labels/example.com~1team', value: labels['example.com/team'] },
    ]);
    expect(api.mutate(request({ name: 'unchanged' }))).toBeUndefined();
    expect(() => api.mutate(request({ name: 'deny' }))).toThrow('denied by mutate');
    expect(api.mutate(request({ name: 'unchanged' }))).toBeUndefined();
  });

  it('label-validator denies objects without required labels and adds defaults', async () => {
    const api = await load<AdmissionPolicyExports>(built.labelValidator);
    expect(api.configure(JSON.stringify({ required: ['team', 'app'], defaults: { env: 'dev', 'skiff.io/tier': 'web' } }))).toEqual({ validate: true, mutate: true });
    expect(() => api.validate(request({ kind: 'Deployment', name: 'web' }))).toThrow('Deployment web is missing required labels team, app');
    expect(() => api.validate(request({ name: 'x', labels: [{ key: 'app', value: 'a' }] }))).toThrow('ConfigMap x is missing required label team');
    expect(api.validate(request({ labels: [{ key: 'app', value: 'a' }, { key: 'team', value: 't' }] }))).toBeUndefined();
    expect(api.validate(request({ operation: 'delete', object: '' }))).toBeUndefined();
    expect(JSON.parse(api.mutate(request({ labels: [{ key: 'team', value: 't' }] }))!)).toEqual([
      { op: 'add', path: '/metadata/labels/env', value: 'dev' },
      { op: 'add', path: '/metadata/labels/skiff.io~1tier', value: 'web' },
    ]);
    expect(api.mutate(request({ labels: [{ key: 'env', value: 'prod' }, { key: 'skiff.io/tier', value: 'db' }] }))).toBeUndefined();
    expect(JSON.parse(api.mutate(request())!)[0]).toEqual({ op: 'add', path: '/metadata/labels', value: {} });
    expect(api.configure('{"defaults":{"env":"dev"}}')).toEqual({ validate: false, mutate: true });
    expect(() => api.configure('{"required":"team"}')).toThrow('config: required must be an array of label names');
  });
});

describe('project templates', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-new-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('builds a new scheduler project from outside the repo and runs it', async () => {
    const p = await newProject(join(dir, 'sched'), 'scheduler-policy', 'disk-filter');
    expect(p.files).toEqual(['README.md', 'assembly/index.ts', 'skiff-policy.json', 'test.yaml']);
    const api = await load<SchedulerPolicyExports>((await buildComponent({ entry: p.entry, world: 'scheduler-policy' })).bytes);
    expect(api.configure('{"nodeLabel":"disktype"}')).toEqual({ filter: true, score: true });
    api.updateNodes([
      { slot: 0, node: witNode('ssd', { labels: [{ key: 'disktype', value: 'ssd' }], allocatable: res({ pods: 10n }), podCount: 3 }) },
      { slot: 1, node: witNode('plain', { allocatable: res({ pods: 10n }) }) },
    ]);
    expect(api.filter(witPod(), [0, 1])).toEqual({ verdicts: new Uint8Array([0, 1]), reasons: [{ message: "node(s) didn't have label disktype", unresolvable: true }] });
    expect(Array.from(api.score(witPod(), [0, 1]))).toEqual([70, 100]);
    await expect(newProject(join(dir, 'sched'), 'scheduler-policy', 'disk-filter')).rejects.toThrow(/already exists/);
    await expect(newProject(join(dir, 'bad'), 'scheduler-policy', 'Bad_Name')).rejects.toThrow(/invalid name/);
  });

  it('builds a new admission project and runs it', async () => {
    const p = await newProject(join(dir, 'adm'), 'admission-policy', 'owner-check');
    const api = await load<AdmissionPolicyExports>((await buildComponent({ entry: p.entry, world: 'admission-policy', outFile: join(dir, 'adm', 'build', 'owner-check.wasm') })).bytes);
    expect(api.configure('{}')).toEqual({ validate: true, mutate: true });
    expect(() => api.validate(request({ name: 'orphan' }))).toThrow('ConfigMap orphan is missing label owner');
    expect(JSON.parse(api.mutate(request())!)).toEqual([
      { op: 'add', path: '/metadata/annotations', value: {} },
      { op: 'add', path: '/metadata/annotations/skiff.io~1admitted-by', value: 'owner-check' },
    ]);
  });
});
