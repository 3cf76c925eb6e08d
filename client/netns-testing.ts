// Test support for Skiff's network plugins (service proxy, NetworkPolicy, ...): a "node" made of
// network namespaces the test creates (and deletes): the node's namespace with a bridge for pods and
// the forwarding sysctls a node has, pods on veths to the bridge, and an outside client on a routed
// link to the node's address. Backends answer every TCP connection with their name and the peer
// address they saw; a client makes many connections in one process (one line of JSON back).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}${stderr ? `\n${stderr}` : ''}`));
      else resolve(stdout);
    });
  });
}

export const nsExec = (ns: string, cmd: string, ...args: string[]) => run('ip', ['netns', 'exec', ns, cmd, ...args]);

export interface Pod {
  name: string;
  ns: string;
  ip: string;
}

export interface TestNode {
  tag: string;
  /** the node's namespace (the proxy programs it) */
  ns: string;
  bridgeIP: string;
  /** the node's address on the outside link */
  nodeIP: string;
  /** an outside client's namespace and address */
  outside: { ns: string; ip: string };
  pods: Pod[];
  addPod(name: string, index: number): Promise<Pod>;
  delete(): Promise<void>;
}

/**
 * A node namespace with bridge 10.<n>.0.1/24: pods get 10.<n>.0.<index>; the outside link is
 * 192.168.<n>.0/24. Namespaces are named `<prefix>-<random tag>-...` (prefix: whose test made them).
 */
export async function createTestNode(subnet: number, prefix = 'sp'): Promise<TestNode> {
  const tag = randomBytes(3).toString('hex');
  const ns = `${prefix}-${tag}-node`;
  const namespaces: string[] = [];
  const addNs = async (name: string) => {
    await run('ip', ['netns', 'add', name]);
    namespaces.push(name);
    await nsExec(name, 'ip', 'link', 'set', 'lo', 'up');
  };
  const node: TestNode = {
    tag,
    ns,
    bridgeIP: `10.${subnet}.0.1`,
    nodeIP: `192.168.${subnet}.1`,
    outside: { ns: `${prefix}-${tag}-out`, ip: `192.168.${subnet}.2` },
    pods: [],
    async addPod(name, index) {
      const podNs = `${prefix}-${tag}-${name}`;
      await addNs(podNs);
      const ip = `10.${subnet}.0.${index}`;
      await nsExec(ns, 'ip', 'link', 'add', `v${index}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', podNs);
      await nsExec(ns, 'ip', 'link', 'set', `v${index}`, 'master', 'br0', 'up');
      // as the bridge CNI plugin's hairpinMode: a pod's packet DNATed back to itself leaves by the port it came in
      await nsExec(ns, 'bridge', 'link', 'set', 'dev', `v${index}`, 'hairpin', 'on');
      await nsExec(podNs, 'ip', 'addr', 'add', `${ip}/24`, 'dev', 'eth0');
      await nsExec(podNs, 'ip', 'link', 'set', 'eth0', 'up');
      await nsExec(podNs, 'ip', 'route', 'add', 'default', 'via', node.bridgeIP);
      const pod = { name, ns: podNs, ip };
      node.pods.push(pod);
      return pod;
    },
    async delete() {
      for (const n of namespaces.reverse()) await run('ip', ['netns', 'delete', n]).catch(() => {});
    },
  };
  try {
    await addNs(ns);
    await nsExec(ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    await nsExec(ns, 'ip', 'link', 'add', 'br0', 'type', 'bridge');
    await nsExec(ns, 'ip', 'addr', 'add', `${node.bridgeIP}/24`, 'dev', 'br0');
    await nsExec(ns, 'ip', 'link', 'set', 'br0', 'up');
    // as on a node running kube-proxy: bridged pod-to-pod replies pass the IP hooks, where
    // conntrack un-DNATs them (br_netfilter; per namespace since Linux 5.3)
    await nsExec(ns, 'sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=1');
    await addNs(node.outside.ns);
    await nsExec(ns, 'ip', 'link', 'add', 'ext0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.outside.ns);
    await nsExec(ns, 'ip', 'addr', 'add', `${node.nodeIP}/24`, 'dev', 'ext0');
    await nsExec(ns, 'ip', 'link', 'set', 'ext0', 'up');
    await nsExec(node.outside.ns, 'ip', 'addr', 'add', `${node.outside.ip}/24`, 'dev', 'eth0');
    await nsExec(node.outside.ns, 'ip', 'link', 'set', 'eth0', 'up');
    await nsExec(node.outside.ns, 'ip', 'route', 'add', 'default', 'via', node.nodeIP);
    // the node's default route (a ClusterIP without endpoints is routed, then rejected in forward)
    await nsExec(ns, 'ip', 'route', 'add', 'default', 'via', node.outside.ip);
  } catch (e) {
    await node.delete();
    throw e;
  }
  return node;
}

/** Why these tests cannot run here (root, ip, nft, br_netfilter), or null. */
export function netnsSkipReason(): string | null {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, nft)';
  return null;
}

const SERVER = `
const net = require('node:net');
const [port, name] = process.argv.slice(1);
net.createServer((s) => s.end(JSON.stringify({ name, from: s.remoteAddress }) + '\\n')).listen(Number(port), '0.0.0.0', () => console.log('listening'));
`;

/** A backend in a pod: answers every TCP connection on `port` with `{name, from}`. */
export class Backend {
  private constructor(private readonly child: ChildProcess) {}

  static start(pod: Pod, port: number): Promise<Backend> {
    const child = spawn('ip', ['netns', 'exec', pod.ns, process.execPath, '-e', SERVER, String(port), pod.name], { stdio: ['ignore', 'pipe', 'pipe'] });
    return new Promise((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`backend in ${pod.ns} did not start: ${err}`)), 15_000);
      child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
      child.stdout!.on('data', (b: Buffer) => {
        if (b.toString().includes('listening')) {
          clearTimeout(timer);
          resolve(new Backend(child));
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`backend in ${pod.ns} exited (${code}): ${err}`));
      });
    });
  }

  /** Stop it (by the PID of the process this test started). */
  stop(): void {
    if (this.child.exitCode === null && this.child.pid) this.child.kill('SIGKILL');
  }
}

const CLIENT = `
const net = require('node:net');
const [host, port, count, timeout] = process.argv.slice(1);
const one = () => new Promise((resolve) => {
  const s = net.connect({ host, port: Number(port) });
  const t = setTimeout(() => { s.destroy(); resolve({ error: 'TIMEOUT' }); }, Number(timeout));
  let d = '';
  s.on('data', (c) => (d += c));
  s.on('end', () => { clearTimeout(t); try { resolve(JSON.parse(d)); } catch { resolve({ error: 'BAD ' + d }); } });
  s.on('error', (e) => { clearTimeout(t); resolve({ error: e.code || String(e) }); });
});
(async () => { const out = []; for (let i = 0; i < Number(count); i++) out.push(await one()); console.log(JSON.stringify(out)); })();
`;

export interface Answer {
  name?: string;
  from?: string;
  error?: string;
}

/** `count` connections, one after the other, from inside `ns` to host:port. */
export async function connectMany(ns: string, host: string, port: number, count = 1, timeoutMs = 2000): Promise<Answer[]> {
  const out = await run('ip', ['netns', 'exec', ns, process.execPath, '-e', CLIENT, host, String(port), String(count), String(timeoutMs)], count * timeoutMs + 20_000);
  return JSON.parse(out.trim().split('\n').at(-1)!) as Answer[];
}

/** The names that answered. */
export const names = (as: Answer[]) => new Set(as.map((a) => a.name ?? a.error));

const PROBE = `
const net = require('node:net');
const [host, port, every, timeout] = process.argv.slice(1);
const one = () => new Promise((resolve) => {
  const t0 = Date.now();
  const s = net.connect({ host, port: Number(port) });
  const done = (r) => { clearTimeout(t); s.destroy(); resolve({ t0, t1: Date.now(), ...r }); };
  const t = setTimeout(() => done({ error: 'TIMEOUT' }), Number(timeout));
  let d = '';
  s.on('data', (c) => (d += c));
  s.on('end', () => { try { done(JSON.parse(d)); } catch { done({ error: 'BAD ' + d }); } });
  s.on('error', (e) => done({ error: e.code || String(e) }));
});
(async () => { for (;;) { process.stdout.write(JSON.stringify(await one()) + '\\n'); await new Promise((r) => setTimeout(r, Number(every))); } })();
`;

/** One probe's result: when the connection was tried (t0) and answered or gave up (t1), epoch ms. */
export interface ProbeResult extends Answer {
  t0: number;
  t1: number;
}

/**
 * Connections from inside `ns` to host:port, one after the other without end (every `everyMs` after
 * the last one ended, each given up after `timeoutMs`): how fast a change in the rules shows.
 */
export class Prober {
  private readonly results: ProbeResult[] = [];
  private buf = '';

  private constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (b: Buffer) => {
      this.buf += b.toString();
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        this.results.push(JSON.parse(this.buf.slice(0, i)) as ProbeResult);
        this.buf = this.buf.slice(i + 1);
      }
    });
  }

  static start(ns: string, host: string, port: number, opts: { everyMs?: number; timeoutMs?: number } = {}): Prober {
    const args = ['netns', 'exec', ns, process.execPath, '-e', PROBE, host, String(port), String(opts.everyMs ?? 10), String(opts.timeoutMs ?? 300)];
    return new Prober(spawn('ip', args, { stdio: ['ignore', 'pipe', 'ignore'] }));
  }

  /** The first probe tried at or after `since` whose outcome (answered or not) is `answered`. */
  async waitFor(answered: boolean, since: number, timeoutMs = 10_000): Promise<ProbeResult> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = this.results.find((x) => x.t0 >= since && !!x.name === answered);
      if (r) return r;
      if (Date.now() > end) throw new Error(`no ${answered ? 'answered' : 'refused or dropped'} probe within ${timeoutMs} ms (last: ${JSON.stringify(this.results.at(-1))})`);
      await new Promise((res) => setTimeout(res, 10));
    }
  }

  /** Stop it (by the PID of the process this test started). */
  stop(): void {
    if (this.child.exitCode === null && this.child.pid) this.child.kill('SIGKILL');
  }
}
