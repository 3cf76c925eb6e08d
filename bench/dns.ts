// `npm run bench -- dns [--services 1000] [--seconds 10] [--rate 30000] [--outstanding 100]`
// Cluster DNS throughput and latency with a real load generator (Debian's dnsperf, installed when
// missing). The plugin runs as a node agent runs it: a `skiff server` child process (NATS + the
// store) feeds it `services` ClusterIP Services over the kernel bus, and the cluster-dns plugin, in
// a plugin host of this process (as in `skiff agent`), answers on 127.0.0.1. dnsperf asks the A
// record of every Service, round and round:
// - a throughput run (as many queries as `outstanding` in flight allow): `qps`;
// - a latency run at `rate` queries/s (dnsperf -Q, every query's latency from -v): `p50Ms`/`p99Ms`;
// - the floor, in the same run: the same latency run against the least a Node UDP responder can do
//   (this process, its sockets set up as the plugin's, each query sent back with the answer bit set
//   and nothing looked up): `udpFloorP50Ms`/`udpFloorP99Ms`. What is left between the two is the
//   DNS server's own; the rest is the machine (on a paravirtualised VM each datagram's syscalls and
//   loopback delivery cost far more than Node's and the responder's work) and Node's UDP path.
// What shares the cores is reported too: the CPU this process (the DNS plugin) and the plugin's
// answering helpers (`answerHelpers`, on dnsperf's cores) used and how busy
// the whole machine was during the throughput run (dnsperf, the idle server and anything else
// running make up the rest), and whether the cores were split (`pinned`, the default: dnsperf and
// the helpers on CPU 1, the rest on CPU 0; --share-cores lets everything share them). The last
// line is JSON.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { createSocket } from 'node:dgram';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { connectKernel } from '@skiff/kernel/bus';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import clusterDns from '@skiff/plugin-cluster-dns/plugin';
import { query } from '@skiff/plugin-cluster-dns/testing';
import { cpuSeconds, machineCpu, pct, repoRoot, sleep, type Figures } from './_util.ts';

const { values: flags } = parseArgs({
  options: {
    services: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '30000' },
    outstanding: { type: 'string', default: '100' },
    'share-cores': { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const SERVICES = Number(flags.services);
const SECONDS = Number(flags.seconds);
const RATE = Number(flags.rate);
const OUTSTANDING = Number(flags.outstanding);
// The load generator gets cores of its own (taskset): this process (the DNS server), the skiff
// server and NATS on CPU 0, dnsperf on the rest (with the DNS server's answering helpers). Sharing
// every core, the scheduler time-slices three busy threads over two cores and dnsperf's own waits
// show up as the server's tail latency.
// --share-cores measures that way instead.
// (This process is pinned once the plugin has started, so that the plugin sees the machine's cores
// as a node agent does; the server is started on CPU 0 at once, NATS with it.)
const PIN = !flags['share-cores'] && cpus().length > 1 && spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
const SERVICES_REF = { group: '', version: 'v1', resource: 'services' };

const root = repoRoot();
const deps = spawnSync('bash', [join(root, 'scripts', 'ensure-node-deps.sh'), 'dnsperf'], { stdio: ['ignore', 'inherit', 'inherit'] });
if (deps.status !== 0) throw new Error('dnsperf is missing and could not be installed (scripts/ensure-node-deps.sh dnsperf)');
const bin = join(root, 'dist', 'skiff.mjs');
if (!existsSync(bin)) throw new Error('dist/skiff.mjs is missing: run `npm run build` first');

const out: Figures = { bench: 'dns', services: SERVICES, seconds: SECONDS, outstanding: OUTSTANDING, rate: RATE, cores: cpus().length, pinned: PIN };
const home = mkdtempSync(join(tmpdir(), 'skiff-bench-dns-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGTERM');
});
const serverArgs = [process.execPath, bin, 'server', '--home', home, '--port', '0', '--log-level', 'warn'];
const server = PIN ? spawn('taskset', ['-c', '0', ...serverArgs], { stdio: ['ignore', 'ignore', 'inherit'] }) : spawn(serverArgs[0]!, serverArgs.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
children.push(server);
for (let t0 = Date.now(); !existsSync(join(home, 'kubeconfig')); await sleep(50)) {
  if (Date.now() - t0 > 30_000 || server.exitCode !== null) throw new Error('skiff server did not start');
}
const nc = await connect({ servers: readFileSync(join(home, 'nats-url'), 'utf8').trim(), noAsyncTraces: true });
const kernel = await connectKernel(nc);

// the Services: 10.96.1.0 on, a named port each
const ip = (i: number) => `10.96.${1 + (i >> 8)}.${i & 255}`;
let t0 = performance.now();
for (let next = 0; next < SERVICES; ) {
  const batch = Array.from({ length: Math.min(32, SERVICES - next) }, (_, k) => next + k);
  next += batch.length;
  await Promise.all(
    batch.map((i) =>
      kernel.create(SERVICES_REF, { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}`, namespace: 'default' }, spec: { clusterIP: ip(i), ports: [{ name: 'http', port: 80 }] } }),
    ),
  );
}
out.createServicesMs = Math.round(performance.now() - t0);

// the plugin, as the node agent runs it: its own plugin host on the kernel bus
const host = new PluginHost({ kernel, logger: createConsoleLogger({ level: 'warn' }) });
t0 = performance.now();
await host.load([{ descriptor: clusterDns, config: { listen: ['127.0.0.1:0'], upstreams: [] } }]);
const port = Number(String((host.runtime('cluster-dns')!.listening as string[])[0]).split(':')[1]);
for (let t1 = Date.now(); ; await sleep(20)) {
  const r = await query(port, `svc-${SERVICES - 1}.default.svc.cluster.local`, 'A').catch(() => undefined);
  if (r?.packet.rcode === 'NOERROR' && r.packet.answers?.length) break;
  if (Date.now() - t1 > 60_000) throw new Error('the DNS plugin did not learn the Services');
}
out.syncMs = Math.round(performance.now() - t0);

// The plugin's answering helper processes (one on a machine with more than one core, by default)
// read the same UDP socket on the other core, beside dnsperf: a DNS server uses every core, as
// CoreDNS's threads do. (Forked by this process, they start on CPU 0 with it.)
let helpers: number[] = [];
for (let t1 = Date.now(); Date.now() - t1 < 10_000; await sleep(50)) {
  const r = spawnSync('pgrep', ['-P', String(process.pid), '-f', 'answer-helper'], { encoding: 'utf8' });
  if (r.status === 1 && availableParallelism() < 2) break; // one core: the plugin starts none
  helpers = r.stdout.split('\n').filter(Boolean).map(Number);
  if (helpers.length) break;
}
if (PIN) {
  spawnSync('taskset', ['-acp', '0', String(process.pid)], { stdio: 'ignore' });
  for (const pid of helpers) spawnSync('taskset', ['-acp', `1-${cpus().length - 1}`, String(pid)], { stdio: 'ignore' });
}
out.answerHelpers = helpers.length;

const queries = join(home, 'queries.txt');
writeFileSync(queries, Array.from({ length: SERVICES }, (_, i) => `svc-${i}.default.svc.cluster.local A\n`).join(''));

// dnsperf writes to a file, not a pipe to this process: with -v it prints a line per query, and a
// pipe that this process (the DNS server's own event loop) drains would stall dnsperf's receiving
// thread whenever the server is busy, showing up as the server's latency and loss. Resolves to the
// file's path: a rate run's output (megabytes) is read only after every measured run, so that no
// run pays for the garbage of parsing another's.
function dnsperf(args: string[], o: { to?: number; file?: string } = {}): Promise<string> {
  const file = join(home, o.file ?? 'dnsperf.out');
  const fd = openSync(file, 'w');
  return new Promise<string>((resolve, reject) => {
    const c = spawn(PIN ? 'taskset' : 'dnsperf', [...(PIN ? ['-c', `1-${cpus().length - 1}`, 'dnsperf'] : []), '-s', '127.0.0.1', '-p', String(o.to ?? port), '-d', queries, '-b', '4096', ...args], { stdio: ['ignore', fd, 'pipe'] });
    children.push(c);
    let err = '';
    c.stderr!.on('data', (d: Buffer) => (err += d));
    c.on('exit', (code) => (code === 0 ? resolve(file) : reject(new Error(`dnsperf exited ${code}: ${err.slice(-500)}`))));
  }).finally(() => closeSync(fd));
}
const figure = (text: string, label: string) => Number(new RegExp(`${label}:\\s+([\\d.]+)`).exec(text)?.[1] ?? NaN);

/** every answered query's latency, ms, from dnsperf -v ("> NOERROR name A 0.000123") */
function latencies(verbose: string): number[] {
  const l: number[] = [];
  for (const line of verbose.split('\n')) {
    if (!line.startsWith('> ')) continue;
    const s = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(s)) l.push(s * 1000);
  }
  return l;
}

/** CPU seconds the answering helpers have used so far (a helper gone counts nothing) */
const helperCpu = () => helpers.reduce((t, pid) => t + (cpuSeconds(pid) || 0), 0);

await dnsperf(['-l', '2', '-q', String(OUTSTANDING)]); // warm up (JIT, precomputed answers)
out.loadAvg1 = Math.round(loadavg()[0] * 100) / 100;

// throughput
const cpu0 = process.cpuUsage();
const helperCpu0 = helperCpu();
const m0 = machineCpu();
const w0 = performance.now();
const thr = readFileSync(await dnsperf(['-l', String(SECONDS), '-q', String(OUTSTANDING)]), 'utf8');
const wall = (performance.now() - w0) / 1000;
const cpu = process.cpuUsage(cpu0);
const m1 = machineCpu();
out.qps = Math.round(figure(thr, 'Queries per second'));
out.lost = figure(thr, 'Queries lost');
out.avgMsAtMax = Math.round(figure(thr, 'Average Latency \\(s\\)') * 1e6) / 1000;
out.dnsCpuCores = Math.round(((cpu.user + cpu.system) / 1e6 / wall) * 100) / 100;
out.helperCpuCores = Math.round(((helperCpu() - helperCpu0) / wall) * 100) / 100;
out.machineBusyCores = Math.round(((m1.busy - m0.busy) / (m1.total - m0.total)) * cpus().length * 100) / 100;

// the floor's responder (see the header), bound now and idle during the plugin's rate run
const floorSocket = createSocket({ type: 'udp4', lookup: (a: string, _o: unknown, cb: (e: null, a: string, f: number) => void) => cb(null, a, 4) } as Parameters<typeof createSocket>[0]);
await new Promise<void>((r) => floorSocket.bind(0, '127.0.0.1', r));
floorSocket.setRecvBufferSize(4 << 20);
floorSocket.on('message', (m, r) => {
  if (m.length < 12) return;
  m[2] |= 0x80; // QR: a response
  m[3] = 0x80; // RA, NOERROR
  floorSocket.send(m, r.port, r.address);
});
const floorPort = (floorSocket.address() as { port: number }).port;

// latency at a fixed rate: every query's latency from dnsperf -v ("> NOERROR name A 0.000123")
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
// this process's GC pauses during the rate run (the DNS server's): how many, the longest
const gcs: PerformanceEntry[] = [];
const gcObserver = new PerformanceObserver((l) => void gcs.push(...l.getEntries()));
gcObserver.observe({ entryTypes: ['gc'] });
const rateFile = await dnsperf(['-l', String(SECONDS), '-Q', String(RATE), '-q', '1000', '-v'], { file: 'rate.out' });
loopDelay.disable();
gcObserver.disconnect();

// the floor: the same rate run against the bare responder in this process
await dnsperf(['-l', '2', '-q', String(OUTSTANDING)], { to: floorPort }); // warmed up as the plugin was
const floorFile = await dnsperf(['-l', String(SECONDS), '-Q', String(RATE), '-q', '1000', '-v'], { to: floorPort, file: 'floor.out' });
floorSocket.close();

const verbose = readFileSync(rateFile, 'utf8');
const lat = latencies(verbose);
// answers other than NOERROR (lost queries print "> T name type" and count as lost)
const errors = (verbose.match(/^> (?!NOERROR |T )/gm) ?? []).length;
Object.assign(out, {
  rateQps: Math.round(figure(verbose, 'Queries per second')),
  rateLost: figure(verbose, 'Queries lost'),
  rateErrors: errors,
  p50Ms: pct(lat, 50),
  p99Ms: pct(lat, 99),
  maxMs: Math.round(lat.reduce((a, b) => Math.max(a, b), 0) * 1000) / 1000,
  // how long this process's event loop (the DNS server's) was held up at once, during the rate run
  loopDelayP99Ms: Math.round(loopDelay.percentile(99) / 1e4) / 100,
  loopDelayMaxMs: Math.round(loopDelay.max / 1e4) / 100,
  gcPauses: gcs.length,
  gcMaxMs: Math.round(gcs.reduce((a, g) => Math.max(a, g.duration), 0) * 100) / 100,
  gcTotalMs: Math.round(gcs.reduce((a, g) => a + g.duration, 0)),
});
const floorOut = readFileSync(floorFile, 'utf8');
const floor = latencies(floorOut);
Object.assign(out, { udpFloorP50Ms: pct(floor, 50), udpFloorP99Ms: pct(floor, 99), udpFloorMaxMs: Math.round(floor.reduce((a, b) => Math.max(a, b), 0) * 1000) / 1000, udpFloorLost: figure(floorOut, 'Queries lost') });

await host.stop();
await kernel.close();
await nc.drain();
for (const c of children) if (c.exitCode === null) {
  c.kill('SIGTERM');
  await new Promise((r) => c.once('exit', r));
}
rmSync(home, { recursive: true, force: true });
console.log(JSON.stringify(out));
process.exit(out.qps && lat.length && floor.length ? 0 : 1);
