// The scheduler end to end, as a user meets it: the real `skiff server` (default distribution: the
// scheduler and the default policies), `skiff sim --nodes 5` as a separate process joining over
// NATS, and kubectl 1.32: three pods end Running on hollow nodes, a pod with an impossible
// nodeSelector stays Pending with a FailedScheduling event saying why.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { skiffBin, startSkiff, type SkiffProcess } from './skiff-process.ts';

const kubectl = process.env.SKIFF_KUBECTL_132;

const MANIFEST = `apiVersion: v1
kind: Pod
metadata: {name: web-0, labels: {app: web}}
spec:
  containers:
  - {name: c, image: nginx:1.27, resources: {requests: {cpu: 250m, memory: 64Mi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, labels: {app: web}}
spec:
  containers:
  - {name: c, image: nginx:1.27, resources: {requests: {cpu: 250m, memory: 64Mi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, labels: {app: web}}
spec:
  containers:
  - {name: c, image: nginx:1.27, resources: {requests: {cpu: 250m, memory: 64Mi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: impossible}
spec:
  nodeSelector: {disktype: nvme}
  containers:
  - {name: c, image: nginx:1.27}
`;

let home: string;
let skiff: SkiffProcess | undefined;
let sim: ChildProcess | undefined;
let simOut = '';
let simExited: Promise<number | null> | undefined;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(fn: () => T | undefined | false, what: string, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(250);
  }
}

const k = (...args: string[]) => {
  const r = spawnSync(kubectl!, ['--kubeconfig', skiff!.kubeconfig, '--cache-dir', join(home, 'kubectl-cache'), ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
};

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'skiff-sched-cli-'));
  skiff = await startSkiff(home);
  // the server writes nats-url right after the kubeconfig
  const natsFile = join(home, 'nats-url');
  await until(() => existsSync(natsFile) && readFileSync(natsFile, 'utf8').trim(), 'nats-url', 30_000);
  const natsUrl = readFileSync(natsFile, 'utf8').trim();
  sim = spawn(process.execPath, [skiffBin(), 'sim', '--nodes', '5', '--nats', natsUrl, '--log-level', 'warn', '--report-interval', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  simExited = new Promise((r) => sim!.once('exit', (code) => r(code)));
  sim.stdout!.on('data', (d) => (simOut += d));
  sim.stderr!.on('data', (d) => (simOut += d));
  await until(() => /5 hollow nodes up/.test(simOut) || sim!.exitCode !== null, 'skiff sim to register 5 nodes', 60_000);
  if (sim.exitCode !== null) throw new Error(`skiff sim exited with ${sim.exitCode}:\n${simOut}`);
}, 120_000);

afterAll(async () => {
  if (sim?.pid && sim.exitCode === null) {
    process.kill(sim.pid, 'SIGTERM');
    await Promise.race([simExited, sleep(20_000)]);
    if (sim.exitCode === null) process.kill(sim.pid, 'SIGKILL');
  }
  await skiff?.kill('SIGTERM');
  rmSync(home, { recursive: true, force: true });
}, 60_000);

it('runs applied pods on hollow nodes and explains the one that fits nowhere', async () => {
  expect(kubectl && existsSync(kubectl)).toBeTruthy();

  // the 5 hollow nodes are there and Ready
  const nodes = await until(() => {
    const r = k('get', 'nodes', '--no-headers');
    const ready = r.out.split('\n').filter((l) => /^hollow-\d+\s+Ready\s/.test(l));
    return ready.length === 5 ? ready : undefined;
  }, '5 Ready hollow nodes');
  expect(nodes).toHaveLength(5);

  const file = join(home, 'pods.yaml');
  writeFileSync(file, MANIFEST);
  const applied = k('apply', '-f', file);
  expect(applied.err).toBe('');
  expect(applied.code).toBe(0);
  for (const p of ['web-0', 'web-1', 'web-2', 'impossible']) expect(applied.out).toContain(`pod/${p} created`);

  // kubectl get pods -o wide: NAME READY STATUS RESTARTS AGE IP NODE NOMINATED NODE READINESS GATES
  let table = '';
  const rows = await until(() => {
    const r = k('get', 'pods', '-o', 'wide');
    if (r.code !== 0) return undefined;
    table = r.out;
    const byName = new Map(
      r.out
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/))
        .map((cols) => [cols[0], cols] as const),
    );
    const webs = ['web-0', 'web-1', 'web-2'].map((n) => byName.get(n));
    if (webs.some((c) => !c || c[2] !== 'Running' || !/^hollow-\d$/.test(c[6]))) return undefined;
    return byName;
  }, `3 web pods Running on hollow nodes (last table:\n${table})`);
  expect(table.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES/);
  for (const n of ['web-0', 'web-1', 'web-2']) {
    const cols = rows.get(n)!;
    expect(cols[2]).toBe('Running');
    expect(cols[5]).toMatch(/^10\.244\.\d+\.\d+$/); // a pod IP from the hollow node's pod CIDR
    expect(cols[6]).toMatch(/^hollow-[0-4]$/);
  }
  // LeastAllocated spreads three equal pods over three of the five empty nodes
  expect(new Set(['web-0', 'web-1', 'web-2'].map((n) => rows.get(n)![6])).size).toBe(3);
  const imp = rows.get('impossible')!;
  expect(imp[2]).toBe('Pending');
  expect(imp[6]).toBe('<none>');

  // the scheduler says why: condition, event, both through kubectl
  const expected = "0/5 nodes are available: 5 node(s) didn't match Pod's node affinity/selector.";
  const describe = await until(() => {
    const r = k('describe', 'pod', 'impossible');
    return r.code === 0 && /FailedScheduling/.test(r.out) ? r.out : undefined;
  }, 'kubectl describe pod impossible to show FailedScheduling');
  expect(describe).toMatch(/Status:\s+Pending/);
  expect(describe).toMatch(/PodScheduled\s+False/);
  expect(describe).toMatch(/Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/5 nodes are available: 5 node\(s\) didn't match Pod's node affinity\/selector\./);
  expect(describe).toContain('Node-Selectors:  disktype=nvme');

  const events = k('get', 'events', '--field-selector', 'reason=FailedScheduling', '-o', 'jsonpath={range .items[*]}{.involvedObject.name}|{.type}|{.message}{"\\n"}{end}');
  expect(events.err).toBe('');
  const lines = events.out.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0].startsWith(`impossible|Warning|${expected}`)).toBe(true);

  expect(k('get', 'pod', 'impossible', '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].reason}').out).toBe('Unschedulable');
  for (const n of ['web-0', 'web-1', 'web-2']) {
    expect(k('get', 'pod', n, '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].status}').out).toBe('True');
  }
}, 240_000);
