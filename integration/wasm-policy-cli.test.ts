// A new user's path to a WebAssembly scheduler policy, end to end through the built CLI only
// (`node $SKIFF_BIN ...`), in a temporary directory outside the repo: `skiff server` and `skiff sim`
// (6 hollow nodes, 3 labelled team=a and 3 team=b), `skiff wasm new` + an edited policy +
// `skiff wasm build` + `skiff wasm test` (a passing and a failing expectation), `skiff plugin
// install --wait` / `ls`, pods that land only where the policy allows (and one it keeps Pending,
// with its reason), a config change and a rebuilt version hot-swapped while the server runs, and
// the runtime figures `skiff plugin ls` shows.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runSkiff, skiffBin, startSkiff, type SkiffProcess } from './skiff-process.ts';

let tmp: string; // everything the test writes: the server's home, the policy project, manifests
let home: string;
let work: string;
let project: string;
let wasmFile: string;
let skiff: SkiffProcess | undefined;
let sim: ChildProcess | undefined;
let simOut = '';
let simExited: Promise<number | null> | undefined;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, what: () => string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what()}`);
    await sleep(250);
  }
}

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** `skiff <args>` as a user types it: in the work directory, with SKIFF_HOME pointing at the test server. */
function cli(...args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, SKIFF_HOME: home };
  delete env.KUBECONFIG;
  return runSkiff(args, { cwd: work, env }).then((r) => ({ code: r.code, out: r.stdout, err: r.stderr }));
}

/** `skiff ...` that must succeed; its stdout. */
async function ok(...args: string[]): Promise<string> {
  const r = await cli(...args);
  if (r.code !== 0) throw new Error(`skiff ${args.join(' ')} exited ${r.code}\nstdout:\n${r.out}\nstderr:\n${r.err}`);
  return r.out;
}

// ---- the user's policy ----------------------------------------------------------------------

/** The policy a user writes over the template: only nodes of the configured team fit. */
const policySource = (reason: string) => `// my-policy: pods go only to nodes labelled team=<config.team>, the emptiest first.
import { Node, Pod, SchedulerPolicy, jsonError, parseConfig, register } from "skiff";

class TeamNodes extends SchedulerPolicy {
  team: string = "";
  reason: string = "";

  constructor() {
    super();
    this.implementsFilter = true;
    this.implementsScore = true;
  }

  configure(config: string): string | null {
    const c = parseConfig(config);
    if (c === null) return jsonError();
    this.team = c.getString("team");
    if (this.team.length == 0) return "config: team is required";
    this.reason = ${reason};
    return null;
  }

  filter(pod: Pod, node: Node): string | null {
    const team = node.label("team");
    if (team !== null && team == this.team) return null;
    return this.unresolvable(this.reason); // no pod placement can relabel a node
  }

  score(pod: Pod, node: Node): i32 {
    return <i32>(100 - min<i64>(100, <i64>node.podCount * 10));
  }
}

register(new TeamNodes());
`;

const TEST_YAML = `config:
  team: a
nodes:
  - apiVersion: v1
    kind: Node
    metadata: { name: node-a, labels: { team: a } }
    status: { allocatable: { cpu: "4", memory: 8Gi, pods: "110" } }
  - apiVersion: v1
    kind: Node
    metadata: { name: node-b, labels: { team: b } }
    status: { allocatable: { cpu: "4", memory: 8Gi, pods: "110" } }
  - apiVersion: v1
    kind: Node
    metadata: { name: node-c }
    status: { allocatable: { cpu: "4", memory: 8Gi, pods: "110" } }
pods:
  - apiVersion: v1
    kind: Pod
    metadata: { name: web }
    spec: { containers: [ { name: web, image: nginx } ] }
    expect:
      node: node-a
      fits: [node-a]
      rejected: { node-b: "not owned by team a", node-c: "not owned by team a" }
      scores: { node-a: 100 }
  - apiVersion: v1
    kind: Pod
    metadata: { name: web-2 }
    spec: { containers: [ { name: web, image: nginx } ] }
    expect:
      node: node-a
      scores: { node-a: 90 }
`;

const FAILING_YAML = `config: { team: a }
nodes:
  - { apiVersion: v1, kind: Node, metadata: { name: node-a, labels: { team: a } }, status: { allocatable: { cpu: "4", memory: 8Gi, pods: "110" } } }
  - { apiVersion: v1, kind: Node, metadata: { name: node-b, labels: { team: b } }, status: { allocatable: { cpu: "4", memory: 8Gi, pods: "110" } } }
pods:
  - apiVersion: v1
    kind: Pod
    metadata: { name: web }
    spec: { containers: [ { name: web, image: nginx } ] }
    expect: { node: node-b }
`;

// ---- cluster helpers --------------------------------------------------------------------------

function podsManifest(names: string[], nodeSelector?: Record<string, string>): string {
  return names
    .map(
      (n) => `apiVersion: v1
kind: Pod
metadata: {name: ${n}, labels: {app: e2e}}
spec:
${nodeSelector ? `  nodeSelector: ${JSON.stringify(nodeSelector)}\n` : ''}  containers:
  - {name: c, image: nginx, resources: {requests: {cpu: 100m, memory: 64Mi}}}
`,
    )
    .join('---\n');
}

async function createPods(file: string, names: string[], nodeSelector?: Record<string, string>): Promise<void> {
  writeFileSync(join(work, file), podsManifest(names, nodeSelector));
  const out = await ok('create', '-f', file);
  for (const n of names) expect(out).toContain(`pod/${n} created`);
}

type Pod = { metadata: { name: string }; spec: { nodeName?: string }; status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } };

async function getPods(): Promise<Map<string, Pod>> {
  const list = JSON.parse(await ok('get', 'pods', '-o', 'json')) as { items: Pod[] };
  return new Map(list.items.map((p) => [p.metadata.name, p]));
}

/** The nodes `names` are bound to, once all are bound. */
async function placed(names: string[], ms = 20_000): Promise<Record<string, string>> {
  let last = '';
  return until(
    async () => {
      const pods = await getPods();
      const bound = Object.fromEntries(names.map((n) => [n, pods.get(n)?.spec.nodeName ?? '']));
      last = JSON.stringify(bound);
      return Object.values(bound).every(Boolean) ? bound : undefined;
    },
    () => `pods ${names.join(', ')} to be bound (last: ${last})`,
    ms,
  );
}

/** PodScheduled=False of a pod, once the scheduler has written it. */
async function unschedulable(name: string, messagePart: string): Promise<{ reason?: string; message?: string; nodeName?: string }> {
  let last = '';
  return until(
    async () => {
      const p = (await getPods()).get(name);
      const c = p?.status?.conditions?.find((x) => x.type === 'PodScheduled');
      last = JSON.stringify({ nodeName: p?.spec.nodeName, condition: c });
      return c?.status === 'False' && c.message?.includes(messagePart) ? { reason: c.reason, message: c.message, nodeName: p?.spec.nodeName } : undefined;
    },
    () => `pod ${name} to be unschedulable with "${messagePart}" (last: ${last})`,
  );
}

/** The `skiff plugin ls` table row of my-policy, by column. */
async function pluginRow(): Promise<Record<string, string>> {
  const lines = (await ok('plugin', 'ls')).trimEnd().split('\n');
  const header = lines[0].split(/\s{2,}/);
  expect(header).toEqual(['NAME', 'TYPE', 'VERSION', 'STATE', 'RELOADS', 'CALLS', 'P50', 'P99', 'ERRORS', 'AGE']);
  const row = lines.find((l) => l.startsWith('my-policy '));
  if (!row) throw new Error(`no my-policy row in skiff plugin ls:\n${lines.join('\n')}`);
  const cols = row.split(/\s{2,}/);
  return Object.fromEntries(header.map((h, i) => [h, cols[i]]));
}

/** Runtime figures are written into the Plugin's status at most every ~2 s: poll. */
async function callsCounted(): Promise<Record<string, string>> {
  let last: Record<string, string> = {};
  return until(
    async () => {
      last = await pluginRow();
      return Number(last.CALLS) > 0 ? last : undefined;
    },
    () => `skiff plugin ls to show CALLS > 0 for my-policy (last row: ${JSON.stringify(last)})`,
    15_000,
  );
}

// The sandbox's per-call deadline (callTimeoutMs) defaults to 50 ms: ample for this guest on a quiet
// machine, but test files run in parallel on two cores, where the guest's worker thread can be
// descheduled for longer than that; a timed-out call fails the cycle (failurePolicy
// Fail) and restarts the guest, which this test is not about. `--config` replaces the whole config,
// so every install names the deadline again.
const config = (team: string) => JSON.stringify({ team, callTimeoutMs: 2_000 });

const onTeam = (placement: Record<string, string>, team: string) => Object.values(placement).every((n) => n.startsWith(`team-${team}-`));

// ---- setup ----------------------------------------------------------------------------------

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'skiff-wasm-e2e-'));
  home = join(tmp, 'home');
  work = join(tmp, 'work');
  mkdirSync(home);
  mkdirSync(work);
  project = join(work, 'my-policy');
  wasmFile = join(project, 'build', 'my-policy.wasm');
  skiff = await startSkiff(home);
  // hollow nodes join over NATS; `skiff sim` finds the server through $SKIFF_HOME/nats-url
  await until(() => existsSync(join(home, 'nats-url')) && readFileSync(join(home, 'nats-url'), 'utf8').trim(), () => 'nats-url');
  writeFileSync(join(work, 'nodes.yaml'), '- count: 3\n  prefix: team-a\n  labels: { team: a }\n- count: 3\n  prefix: team-b\n  labels: { team: b }\n');
  sim = spawn(process.execPath, [skiffBin(), 'sim', '--file', 'nodes.yaml', '--log-level', 'warn', '--report-interval', '0'], {
    cwd: work,
    env: { ...process.env, SKIFF_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  simExited = new Promise((r) => sim!.once('exit', (code) => r(code)));
  sim.stdout!.on('data', (d) => (simOut += d));
  sim.stderr!.on('data', (d) => (simOut += d));
  await until(() => /6 hollow nodes up/.test(simOut) || sim!.exitCode !== null, () => 'skiff sim to register 6 nodes');
  if (sim.exitCode !== null) throw new Error(`skiff sim exited with ${sim.exitCode}:\n${simOut}`);
}, 90_000);

afterAll(async () => {
  if (sim?.pid && sim.exitCode === null) {
    process.kill(sim.pid, 'SIGTERM');
    await Promise.race([simExited, sleep(15_000)]);
    if (sim.exitCode === null) process.kill(sim.pid, 'SIGKILL');
  }
  await skiff?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}, 60_000);

// ---- the path ---------------------------------------------------------------------------------

it('skiff wasm new / build / test: a policy project written and tested without a cluster', async () => {
  const created = await ok('wasm', 'new', project);
  expect(created).toContain(`created scheduler-policy "my-policy" in ${project}`);
  for (const f of ['assembly/index.ts', 'skiff-policy.json', 'test.yaml', 'README.md']) expect(existsSync(join(project, f))).toBe(true);
  expect(JSON.parse(readFileSync(join(project, 'skiff-policy.json'), 'utf8'))).toEqual({ name: 'my-policy', world: 'scheduler-policy', entry: 'assembly/index.ts' });

  // the user replaces the template's policy and cases with their own
  writeFileSync(join(project, 'assembly', 'index.ts'), policySource('"node(s) not owned by team " + this.team'));
  writeFileSync(join(project, 'test.yaml'), TEST_YAML);

  const built = await ok('wasm', 'build', 'my-policy');
  expect(built).toMatch(new RegExp(`^built ${wasmFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(scheduler-policy, \\d+ bytes, \\d+ ms\\)\\n$`));
  expect(existsSync(wasmFile)).toBe(true);

  // a project directory: built again, then run in the scheduler's sandbox
  const passed = await cli('wasm', 'test', project, '-f', join(project, 'test.yaml'));
  expect(passed.err).toBe('');
  expect(passed.code).toBe(0);
  expect(passed.out).toContain('pod default/web -> node-a\n');
  expect(passed.out).toContain('pod default/web-2 -> node-a\n');
  expect(passed.out).toMatch(/node-b\s+no\s+node\(s\) not owned by team a/);
  expect(passed.out).toMatch(/node-c\s+no\s+node\(s\) not owned by team a/);
  expect(passed.out).toMatch(/node-a\s+yes\s+90/);
  expect(passed.out).toMatch(/2 passed\n$/);
  expect(passed.out).not.toContain('FAIL');

  // a wrong expectation fails the run (exit 1) and says what differed
  writeFileSync(join(work, 'failing.yaml'), FAILING_YAML);
  const failed = await cli('wasm', 'test', wasmFile, '-f', 'failing.yaml');
  expect(failed.code).toBe(1);
  expect(failed.out).toContain('pod default/web -> node-a\n');
  expect(failed.out).toContain('FAIL expected node node-b, got node-a');
  expect(failed.out).toMatch(/1 of 1 failed\n$/);
}, 60_000);

let v1 = '';

it('skiff plugin install --wait, then skiff plugin ls shows it Running with its version', async () => {
  const out = await ok('plugin', 'install', wasmFile, '--type', 'scheduler-policy', '--name', 'my-policy', '--config', config('a'), '--wait');
  const digest = /^artifact my-policy stored: sha256:([0-9a-f]{64}), \d+ bytes$/m.exec(out)?.[1];
  expect(digest, out).toBeTruthy();
  v1 = digest!.slice(0, 12);
  expect(out).toContain(`plugin/my-policy created (type skiff.io/scheduler-policy, version ${v1})`);
  expect(out).toContain(`plugin/my-policy Running (version ${v1})`);

  const row = await pluginRow();
  expect(row).toMatchObject({ NAME: 'my-policy', TYPE: 'skiff.io/scheduler-policy', VERSION: v1, STATE: 'Running', RELOADS: '0' });
}, 30_000);

it('pods land only on nodes the policy allows; a pod that fits nowhere says why', async () => {
  // six equal pods on six empty nodes: without the policy they would spread over all six
  const names = ['a-0', 'a-1', 'a-2', 'a-3', 'a-4', 'a-5'];
  await createPods('pods-a.yaml', names);
  // team b's nodes match its nodeSelector, the policy rejects them; team a's fail the nodeSelector
  await createPods('wants-b.yaml', ['wants-b'], { team: 'b' });

  const placement = await placed(names);
  expect(onTeam(placement, 'a'), JSON.stringify(placement)).toBe(true);

  const c = await unschedulable('wants-b', 'not owned by team a');
  expect(c.reason).toBe('Unschedulable');
  expect(c.nodeName).toBeUndefined();
  expect(c.message).toContain('0/6 nodes are available: ');
  expect(c.message).toContain('3 node(s) not owned by team a');

  const row = await callsCounted();
  expect(row).toMatchObject({ VERSION: v1, STATE: 'Running', ERRORS: '0' });
  expect(row.P50).not.toBe('-');
}, 60_000);

it('a new config is applied live: new pods go to the other team, the pending one is scheduled', async () => {
  const out = await ok('plugin', 'install', wasmFile, '--type', 'scheduler-policy', '--name', 'my-policy', '--config', config('b'), '--wait');
  expect(out).toContain('artifact my-policy unchanged');
  expect(out).toContain(`plugin/my-policy updated (type skiff.io/scheduler-policy, version ${v1})`);
  expect(out).toContain(`plugin/my-policy Running (version ${v1})`);
  expect(await pluginRow()).toMatchObject({ VERSION: v1, STATE: 'Running', RELOADS: '1' });

  const t0 = Date.now();
  const names = ['b-0', 'b-1', 'b-2', 'b-3', 'b-4', 'b-5'];
  await createPods('pods-b.yaml', names);
  const placement = await placed(names, 10_000);
  expect(onTeam(placement, 'b'), JSON.stringify(placement)).toBe(true);
  expect(Date.now() - t0).toBeLessThan(10_000);

  // a policy change retries unschedulable pods: wants-b now fits team b's nodes
  const wantsB = await placed(['wants-b'], 15_000);
  expect(wantsB['wants-b']).toMatch(/^team-b-[0-2]$/);
  // the pods already placed stay where they are
  expect(onTeam(await placed(['a-0', 'a-1', 'a-2', 'a-3', 'a-4', 'a-5']), 'a')).toBe(true);
}, 60_000);

it('a config the policy rejects fails the install and leaves the running version in place', async () => {
  const r = await cli('plugin', 'install', wasmFile, '--type', 'scheduler-policy', '--name', 'my-policy', '--config', '{"team":""}', '--wait');
  expect(r.code).toBe(1);
  expect(r.err).toContain('config: team is required');

  // still team b's policy
  const names = ['b-6', 'b-7', 'b-8'];
  await createPods('pods-b2.yaml', names);
  const placement = await placed(names);
  expect(onTeam(placement, 'b'), JSON.stringify(placement)).toBe(true);
  expect(await pluginRow()).toMatchObject({ VERSION: v1, STATE: 'Running' });
}, 60_000);

it('a rebuilt policy is hot-swapped: skiff plugin ls shows the new version, new pods see its code', async () => {
  writeFileSync(join(project, 'assembly', 'index.ts'), policySource('"node(s) reserved for team " + this.team + " only (v2)"'));
  await ok('wasm', 'build', project);
  const out = await ok('plugin', 'install', wasmFile, '--type', 'scheduler-policy', '--name', 'my-policy', '--config', config('b'), '--wait');
  const v2 = /^artifact my-policy stored: sha256:([0-9a-f]{12})/m.exec(out)?.[1];
  expect(v2, out).toBeTruthy();
  expect(v2).not.toBe(v1);
  expect(out).toContain(`plugin/my-policy Running (version ${v2})`);
  expect(await pluginRow()).toMatchObject({ VERSION: v2, STATE: 'Running' });

  // v2's reason text proves v2's code filters now
  await createPods('wants-a.yaml', ['wants-a'], { team: 'a' });
  const c = await unschedulable('wants-a', 'reserved for team b only (v2)');
  expect(c.message).toContain('3 node(s) reserved for team b only (v2)');
  await createPods('pods-b3.yaml', ['b-9', 'b-10']);
  expect(onTeam(await placed(['b-9', 'b-10']), 'b')).toBe(true);

  const row = await callsCounted();
  expect(row).toMatchObject({ VERSION: v2, STATE: 'Running', ERRORS: '0' });
}, 60_000);
