// `npm run bench -- endpointslice [--services 100] [--pods 10] [--flips 1000] [--rate 50]`
// Readiness-to-slice latency of the endpointslice-controller on the kernel test kit (nats-server in
// a temp dir, the controller in-process, as `skiff server` runs it): Services × pods whose status the
// benchmark writes as a kubelet would. Once every slice lists its pods Ready, `flips` pods (chosen at
// random, open loop at `rate` per second) have their Ready condition flipped; the clock runs from the
// start of the pod status write until a watch on EndpointSlices delivers the slice with the pod's
// new `ready` condition. The last line is JSON.
import { parseArgs } from 'node:util';
import { ENDPOINT_SLICES, NODES, PODS, rfc3339, SERVICES, type EndpointSlice, type Pod } from '@skiff/api';
import { startControllers } from '@skiff/client/testing';
import controller from '@skiff/plugin-endpointslice-controller';
import { closedLoop, openLoop, pct, sleep, type Figures } from './_util.ts';

const { values: flags } = parseArgs({
  options: {
    services: { type: 'string', default: '100' },
    pods: { type: 'string', default: '10' },
    flips: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '50' },
  },
  allowPositionals: true,
});
const SERVICES_N = Number(flags.services);
const PODS_N = Number(flags.pods);
const FLIPS = Number(flags.flips);
const RATE = Number(flags.rate);
const NS = 'default';

const env = await startControllers([{ descriptor: controller }]);
const k = env.t.kernel;
const out: Figures = { bench: 'endpointslice', services: SERVICES_N, podsPerService: PODS_N, flips: FLIPS, rate: RATE };
try {
  for (const z of ['a', 'b', 'c'])
    await k.create(NODES, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: `node-${z}`, labels: { 'topology.kubernetes.io/zone': `zone-${z}` } },
      status: { allocatable: { cpu: '8' }, conditions: [{ type: 'Ready', status: 'True' }] },
    });
  const podName = (s: number, p: number) => `svc-${s}-${p}`;
  const ipOf = (s: number, p: number) => `10.${100 + (s >> 8)}.${s & 255}.${p + 1}`;
  const status = (pod: Pod, ip: string, ready: boolean) => ({
    ...pod,
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: rfc3339(new Date()) }] },
  });
  const t0 = performance.now();
  await closedLoop(SERVICES_N, 8, (s) =>
    k.create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${s}`, namespace: NS }, spec: { selector: { app: `svc-${s}` }, ports: [{ port: 80, targetPort: 8080 }] } }),
  );
  const pods = new Map<string, Pod>();
  await closedLoop(SERVICES_N * PODS_N, 8, async (i) => {
    const s = Math.floor(i / PODS_N);
    const p = i % PODS_N;
    const created = (await k.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: podName(s, p), namespace: NS, labels: { app: `svc-${s}` } },
      spec: { nodeName: `node-${'abc'[p % 3]}`, containers: [{ name: 'app', image: 'busybox' }] },
    })) as Pod;
    pods.set(podName(s, p), (await k.update(PODS, status(created, ipOf(s, p), true) as Pod, { subresource: 'status' })) as Pod);
  });
  // settled: every Service's slices list its pods Ready
  for (;;) {
    const slices = (await k.list(ENDPOINT_SLICES, { namespace: NS })).items as EndpointSlice[];
    const ready = slices.reduce((n, s) => n + (s.endpoints ?? []).filter((e) => e.conditions?.ready).length, 0);
    if (ready === SERVICES_N * PODS_N) break;
    if (performance.now() - t0 > 120_000) throw new Error(`only ${ready} endpoints ready after 120 s`);
    await sleep(100);
  }
  out.settleMs = Math.round(performance.now() - t0);

  // flips: pod name -> [ready wanted, write start]
  const pending = new Map<string, { ready: boolean; at: number }>();
  const lat: number[] = [];
  const list = await k.list(ENDPOINT_SLICES, { namespace: NS });
  const watch = k.watch(ENDPOINT_SLICES, { namespace: NS, resourceVersion: list.metadata.resourceVersion });
  const seen = (async () => {
    for await (const ev of watch) {
      if (ev.type !== 'MODIFIED' && ev.type !== 'ADDED') continue;
      const now = performance.now();
      for (const e of (ev.object as EndpointSlice).endpoints ?? []) {
        const name = e.targetRef?.name;
        const want = name && pending.get(name);
        if (want && e.conditions?.ready === want.ready) {
          lat.push(now - want.at);
          pending.delete(name);
        }
      }
    }
  })();
  const names = [...pods.keys()];
  const order = Array.from({ length: FLIPS }, () => names[Math.floor(Math.random() * names.length)]);
  const readyNow = new Map(names.map((n) => [n, true]));
  const busy = new Set<string>();
  await openLoop(FLIPS, RATE, async (i) => {
    let name = order[i];
    // one flip in flight per pod (a second would make the first unobservable)
    while (busy.has(name) || pending.has(name)) name = names[Math.floor(Math.random() * names.length)];
    busy.add(name);
    const ready = !readyNow.get(name);
    readyNow.set(name, ready);
    const [s, p] = name.slice(4).split('-').map(Number);
    const at = performance.now();
    pending.set(name, { ready, at });
    const cur = pods.get(name)!;
    pods.set(name, (await k.update(PODS, status(cur, ipOf(s, p), ready) as Pod, { subresource: 'status' })) as Pod);
    busy.delete(name);
  });
  for (const t = performance.now(); pending.size && performance.now() - t < 10_000; ) await sleep(50);
  watch.stop();
  await Promise.race([seen, sleep(1000)]);
  out.observed = lat.length;
  out.missed = pending.size;
  out.p50Ms = pct(lat, 50);
  out.p90Ms = pct(lat, 90);
  out.p99Ms = pct(lat, 99);
  out.maxMs = Math.round(Math.max(...lat) * 1000) / 1000;
  out.warnings = env.warnings.length;
} finally {
  await env.stop();
}
console.log(JSON.stringify(out));
