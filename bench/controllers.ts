// `npm run bench -- controllers [--deployments 100] [--replicas 100] [--nodes 100]`
// Workload controllers at scale, as a user runs them: a `skiff server` child process with the default
// distribution (REST API, every controller, the scheduler and its policies) and hollow nodes
// (`skiff sim`) in a second process over the kernel bus. The Deployments are created through the
// REST API; the clock runs from the first create until every Deployment reports `replicas`
// available (polled through the REST API every 100 ms). RSS and CPU are read from /proc.
// Both processes share this machine's cores with the benchmark itself. The last line is JSON.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { closedLoop, cpuSeconds, repoRoot, rssMb, sleep, type Figures } from './_util.ts';
import { call, startServerProcess } from './_server.ts';

const { values: flags } = parseArgs({
  options: {
    deployments: { type: 'string', default: '100' },
    replicas: { type: 'string', default: '100' },
    nodes: { type: 'string', default: '100' },
    timeout: { type: 'string', default: '300' },
  },
  allowPositionals: true,
});
const DEPLOYMENTS = Number(flags.deployments);
const REPLICAS = Number(flags.replicas);
const NODES = Number(flags.nodes);
const TOTAL = DEPLOYMENTS * REPLICAS;
const PODS_PER_NODE = Math.max(110, Math.ceil((TOTAL * 1.2) / NODES));

const out: Figures = { bench: 'controllers', deployments: DEPLOYMENTS, replicas: REPLICAS, nodes: NODES };
const home = mkdtempSync(join(tmpdir(), 'skiff-bench-controllers-'));
const srv = await startServerProcess(home);
const r = srv.rest;
const sim = spawn(process.execPath, [join(repoRoot(), 'dist', 'skiff.mjs'), 'sim', '--home', home, '--nodes', String(NODES), '--pods', String(PODS_PER_NODE), '--log-level', 'warn', '--report-interval', '0'], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
process.on('exit', () => sim.kill('SIGTERM'));
try {
  type Obj = { metadata: { name: string }; status?: Record<string, any>; spec?: Record<string, any> };
  for (let t0 = Date.now(); ; await sleep(200)) {
    const nodes = (await call(r, 'GET', '/api/v1/nodes')) as { items: Obj[] };
    const ready = nodes.items.filter((n) => n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length;
    if (ready >= NODES) break;
    if (Date.now() - t0 > 60_000) throw new Error(`only ${ready} of ${NODES} hollow nodes became Ready`);
  }
  await call(r, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
  await sleep(1000); // the namespace's ServiceAccount and the informers settle

  let serverPeak = 0;
  let simPeak = 0;
  const sample = setInterval(() => {
    serverPeak = Math.max(serverPeak, rssMb(srv.pid) ?? 0);
    simPeak = Math.max(simPeak, rssMb(sim.pid!) ?? 0);
  }, 100);
  const cpu0 = cpuSeconds(srv.pid);
  const simCpu0 = cpuSeconds(sim.pid!);
  const t0 = performance.now();
  const deployment = (i: number) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `web-${i}`, namespace: 'bench' },
    spec: {
      replicas: REPLICAS,
      selector: { matchLabels: { app: `web-${i}` } },
      template: { metadata: { labels: { app: `web-${i}` } }, spec: { containers: [{ name: 'web', image: 'busybox', command: ['httpd', '-f', '-p', '8080'] }] } },
    },
  });
  await closedLoop(DEPLOYMENTS, 16, (i) => call(r, 'POST', '/apis/apps/v1/namespaces/bench/deployments', deployment(i)));
  out.createMs = Math.round(performance.now() - t0);
  let available = 0;
  for (;;) {
    const list = (await call(r, 'GET', '/apis/apps/v1/namespaces/bench/deployments')) as { items: Obj[] };
    available = list.items.reduce((n, d) => n + Math.min(REPLICAS, d.status?.availableReplicas ?? 0), 0);
    const done = list.items.length === DEPLOYMENTS && list.items.every((d) => (d.status?.availableReplicas ?? 0) >= REPLICAS);
    if (done) break;
    if (performance.now() - t0 > Number(flags.timeout) * 1000) throw new Error(`timed out: ${available} of ${TOTAL} pods available`);
    await sleep(100);
  }
  const ms = performance.now() - t0;
  clearInterval(sample);
  out.allAvailableMs = Math.round(ms);
  out.podsPerSecond = Math.round(TOTAL / (ms / 1000));
  out.serverPeakRssMb = serverPeak;
  out.simPeakRssMb = simPeak;
  out.serverCpuSeconds = Math.round((cpuSeconds(srv.pid) - cpu0) * 10) / 10;
  out.simCpuSeconds = Math.round((cpuSeconds(sim.pid!) - simCpu0) * 10) / 10;
  const pods = (await call(r, 'GET', '/api/v1/namespaces/bench/pods?limit=1')) as { metadata: { remainingItemCount?: number } };
  out.podsInNamespace = (pods.metadata.remainingItemCount ?? 0) + 1;
} finally {
  sim.kill('SIGTERM');
  await srv.stop();
  rmSync(home, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
