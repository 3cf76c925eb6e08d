// `npm run bench -- network-policy [--pods 1000] [--policies 200] [--changes 200]`
// (root: it creates a network namespace, deleted at the end)
// NetworkPolicy enforcement programming a "node" network namespace with real nft (the Enforcer alone,
// fed as its informers would feed it): --pods pods in 10 namespaces (two in three on this node), 50
// apps, --policies policies each selecting one app, with an ingress rule from two other apps (one of
// them in any namespace of a team), a port range, a named port and an ipBlock with except; every
// fourth one with an egress rule too.
// - fullSyncFirstMs: compile + one `nft -f` transaction into an empty table; fullSyncMs: median of 5
//   full syncs on a table that already has everything (lines: the transaction's size; computeMs: the
//   compile and diff, the rest is nft).
// - podChangeP50Ms / P99Ms: a pod of this node gets another app label (it leaves some peer sets and
//   selections, joins others) -> the difference applied (--changes of them, one after the other);
//   podChangeComputeP50Ms: the compile and diff of it (the whole state is compiled at each change).
// - policyChangeP50Ms / P99Ms: one policy's port range changes -> applied.
// What shares the cores: this process (compile), nft, and whatever else runs (loadAvg1). Last line JSON.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { NetworkPolicy, Pod } from '@skiff/api';
import { Nft } from '@skiff/client/nftables';
import { Enforcer, type SyncReport } from '@skiff/plugin-network-policy';
import { pct, type Figures } from './_util.ts';

const { values: args } = parseArgs({ options: { pods: { type: 'string', default: '1000' }, policies: { type: 'string', default: '200' }, changes: { type: 'string', default: '200' } } });
const PODS_N = Number(args.pods);
const POLICIES_N = Number(args.policies);
const CHANGES = Number(args.changes);
const APPS = 50;
const NAMESPACES = 10;
const round = (x: number) => Math.round(x * 10) / 10;

const ns = (i: number) => `ns-${i % NAMESPACES}`;
/** two pods in three on this node */
const local = (i: number) => i % 3 !== 2;
const pod = (i: number, app = i % APPS): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: ns(i), name: `p-${i}`, labels: { app: `a${app}` }, resourceVersion: String(i) },
    spec: { nodeName: local(i) ? 'node-0' : 'node-1', containers: [{ name: 'c', image: 'x', ports: [{ name: 'http', containerPort: 8080 }] }] },
    status: { phase: 'Running', podIP: `10.64.${i >> 8}.${i & 255}`, podIPs: [{ ip: `10.64.${i >> 8}.${i & 255}` }] },
  }) as unknown as Pod;
const policy = (j: number, rangeEnd = 9100): NetworkPolicy =>
  ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { namespace: ns(j), name: `np-${j}` },
    spec: {
      podSelector: { matchLabels: { app: `a${j % APPS}` } },
      policyTypes: j % 4 ? ['Ingress'] : ['Ingress', 'Egress'],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: { app: `a${(j + 1) % APPS}` } } }, { namespaceSelector: { matchLabels: { team: `t${j % 3}` } }, podSelector: { matchLabels: { app: `a${(j + 2) % APPS}` } } }, { ipBlock: { cidr: '192.168.0.0/16', except: [`192.168.${j % 256}.0/24`] } }],
          ports: [{ protocol: 'TCP', port: 9000, endPort: rangeEnd }, { protocol: 'TCP', port: 'http' }],
        },
      ],
      ...(j % 4 ? {} : { egress: [{ to: [{ podSelector: { matchLabels: { app: `a${(j + 3) % APPS}` } } }], ports: [{ protocol: 'TCP', port: 'http' }] }] }),
    },
  }) as unknown as NetworkPolicy;

const netns = `npb-${randomBytes(3).toString('hex')}`;
execFileSync('ip', ['netns', 'add', netns]);
let deleted = false;
const deleteNetns = () => {
  if (!deleted) execFileSync('ip', ['netns', 'delete', netns]);
  deleted = true;
};
process.on('exit', deleteNetns); // also when a wait never ends (an unsettled await exits without `finally`)
const out: Figures = { bench: 'network-policy', pods: PODS_N, policies: POLICIES_N };
try {
  let waiting: ((s: SyncReport) => void) | undefined;
  const next = () => new Promise<SyncReport>((r) => (waiting = r));
  const e = new Enforcer({ nft: new Nft({ netns }), nodeName: 'node-0', fullSyncSeconds: 0, onSync: (s) => waiting?.(s), onError: (m) => console.error(`sync failed: ${m}`) });
  for (let n = 0; n < NAMESPACES; n++) e.setNamespace({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns-${n}`, labels: { team: `t${n % 3}` } } });
  for (let i = 0; i < PODS_N; i++) e.setPod(pod(i));
  for (let j = 0; j < POLICIES_N; j++) e.setPolicy(policy(j));
  let s = next();
  e.start();
  const first = await s;
  out.fullSyncFirstMs = round(first.ms);
  out.enforcedPolicies = first.policies;
  out.ingressPods = first.ingressPods;
  out.egressPods = first.egressPods;
  const fulls: number[] = [];
  for (let r = 0; r < 5; r++) {
    s = next();
    e.requestFullSync();
    const f = await s;
    fulls.push(f.ms);
    out.fullSyncComputeMs = round(f.computeMs);
    out.fullSyncLines = f.lines;
  }
  out.fullSyncMs = round(pct(fulls, 50));
  out.fullSyncMaxMs = round(Math.max(...fulls));

  const podChanges: number[] = [];
  const apps = new Map<number, number>();
  const podCompute: number[] = [];
  let lines = 0;
  for (let c = 0; c < CHANGES; c++) {
    let i = (c * 7919) % PODS_N;
    if (!local(i)) i--; // a pod of this node
    const app = ((apps.get(i) ?? i % APPS) + 1 + (c % (APPS - 1))) % APPS; // never the one it has
    apps.set(i, app);
    s = next();
    const t0 = performance.now();
    e.setPod(pod(i, app));
    const r = await s;
    if (r.full) throw new Error('expected an incremental sync');
    podChanges.push(performance.now() - t0);
    podCompute.push(r.computeMs);
    lines += r.lines;
  }
  out.podChangeLinesAvg = round(lines / CHANGES);
  out.podChangeP50Ms = round(pct(podChanges, 50));
  out.podChangeP99Ms = round(pct(podChanges, 99));
  out.podChangeComputeP50Ms = round(pct(podCompute, 50));

  const policyChanges: number[] = [];
  for (let c = 0; c < CHANGES; c++) {
    const j = (c * 7919) % POLICIES_N;
    s = next();
    const t0 = performance.now();
    e.setPolicy(policy(j, 9101 + c));
    const r = await s;
    if (r.full) throw new Error('expected an incremental sync');
    policyChanges.push(performance.now() - t0);
  }
  out.policyChangeP50Ms = round(pct(policyChanges, 50));
  out.policyChangeP99Ms = round(pct(policyChanges, 99));
  await e.stop();
} finally {
  deleteNetns();
}
out.loadAvg1 = round(loadavg()[0]!);
console.log(JSON.stringify(out));
