// A cluster of real nodes in Docker (testcontainers), for the multi-node end-to-end tests: NATS in a
// container (the local nats image), `skiff server` on the host using it, and node containers (the
// local node image, in the spirit of kind's), each with its own containerd, running `skiff agent`.
// Images are built locally (deploy/images, cached): nothing is pulled.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GenericContainer, Network, Wait, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import { buildImages } from '../deploy/images/build.ts';
import { dockerLoad } from '../deploy/images/load.ts';
import { acquireHostLock } from './host-lock.ts';
import { kubectlFor, until, type Kubectl } from './kubectl-client.ts';
import { startSkiff, type SkiffProcess } from './skiff-process.ts';

const IMAGES_DIR = join(tmpdir(), 'skiff-e2e-images');
/** held while the images are built and loaded (flock(2), as the host lock) */
const IMAGES_LOCK = join(tmpdir(), 'skiff-e2e-images.lock');

/**
 * A Skiff node container: what `--privileged` gives, minus CAP_SYS_RESOURCE, which these hosts
 * lack (Docker's privileged mode asks for it and runc fails "unable to apply caps"); see
 * deploy/images/node/entrypoint.sh.
 */
export class NodeContainer extends GenericContainer {
  constructor(image: string) {
    super(image);
    Object.assign(this.hostConfig, {
      CapAdd: ['ALL'],
      CapDrop: ['SYS_RESOURCE'],
      SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
      // the CLI's --security-opt systempaths=unconfined
      MaskedPaths: [],
      ReadonlyPaths: [],
      DeviceCgroupRules: ['a *:* rwm'],
    });
  }
}

export interface ClusterOptions {
  /** Node names, one node container each. */
  nodes: string[];
  /**
   * Names the Docker network and containers `<prefix>-<pid>-...` (so test files running side by side
   * tell theirs apart); without it, testcontainers' random names.
   */
  prefix?: string;
  /** more `skiff agent` flags for every node */
  agentArgs?: string[];
  /**
   * Other `skiff` commands to run in each node container beside its agent, as a user runs one per
   * node (e.g. `['csi-hostpath', '--node-id', node]`); their output goes to the node's log.
   */
  sidecars?: (node: string) => string[][];
}

/** `word` quoted for sh */
const shq = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

/** The node container's command: the sidecars in the background, then `skiff agent` as the main process. */
function nodeCommand(name: string, o: ClusterOptions): string[] {
  const agent = ['node', '/skiff/skiff.mjs', 'agent', '--nats', 'nats://nats:4222', '--name', name, '--log-level', 'warn', ...(o.agentArgs ?? [])];
  const sidecars = o.sidecars?.(name) ?? [];
  if (!sidecars.length) return agent;
  const script = [...sidecars.map((args) => `${['node', '/skiff/skiff.mjs', ...args].map(shq).join(' ')} &`), `exec ${agent.map(shq).join(' ')}`].join('\n');
  return ['sh', '-c', script];
}

export interface NodeCluster {
  home: string;
  network: StartedNetwork;
  nats: StartedTestContainer;
  skiff: SkiffProcess;
  kubectl: Kubectl;
  /** the node names, in the order of `containers` */
  names: string[];
  containers: StartedTestContainer[];
  /** a node container's address on the cluster network (where the host reaches it) */
  address(node: string): string;
  /** the container of node `name` */
  container(node: string): StartedTestContainer;
  /** `kubectl apply` of `yaml` (written to <home>/<name>.yaml); throws with kubectl's stderr when it fails */
  apply(name: string, yaml: string): void;
  /** waits until every node reports Ready */
  ready(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startNodeCluster(o: ClusterOptions): Promise<NodeCluster> {
  const named = (what: string) => (o.prefix ? `${o.prefix}-${process.pid}-${what}` : undefined);
  const home = mkdtempSync(join(tmpdir(), `skiff-${o.prefix ?? 'e2e'}-`));
  const containers: StartedTestContainer[] = [];
  let network: StartedNetwork | undefined;
  let nats: StartedTestContainer | undefined;
  let skiff: SkiffProcess | undefined;
  const stop = async () => {
    await Promise.all(containers.map((n) => n.stop({ timeout: 5_000 }).catch(() => {})));
    await skiff?.kill('SIGTERM');
    await nats?.stop().catch(() => {});
    await network?.stop().catch(() => {});
    rmSync(home, { recursive: true, force: true });
  };
  const t0 = Date.now();
  const phases: string[] = [];
  const phase = (what: string, since: number) => phases.push(`${what} ${Date.now() - since} ms`);
  try {
    // the images, built locally (cached) and loaded into Docker, one test file at a time: a second
    // build would find the first's work done, and two at once break each other (the node image
    // stages node_modules as hard links, and linking a file changes its ctime under the other's tar)
    const lock = await acquireHostLock({ path: IMAGES_LOCK, onWait: (h) => console.log(`waiting for the e2e images, being built by ${h}`) });
    try {
      const built = await buildImages(['nats', 'node'], { out: IMAGES_DIR });
      for (const b of built) if (b.name === 'nats' || b.name === 'node') dockerLoad(b.tar);
    } finally {
      await lock.release();
    }
    phase('images', t0);
    let t = Date.now();
    const netName = named('net');
    network = await new Network(netName ? { nextUuid: () => netName } : undefined).start();
    const natsC = new GenericContainer('skiff.local/nats-server:latest')
      .withNetwork(network)
      .withNetworkAliases('nats')
      .withCommand(['-js', '-sd', '/tmp/js', '-p', '4222'])
      .withExposedPorts(4222)
      .withWaitStrategy(Wait.forLogMessage(/Server is ready/));
    const natsName = named('nats');
    nats = await (natsName ? natsC.withName(natsName) : natsC).start();
    skiff = await startSkiff(home, ['--nats', `nats://127.0.0.1:${nats.getMappedPort(4222)}`]);
    phase('nats + server', t);
    t = Date.now();
    // side by side; `containers` keeps the order of `o.nodes`
    const onNetwork = network;
    const started = o.nodes.map((name) => {
      const c = new NodeContainer('skiff.local/node:dev')
        .withNetwork(onNetwork)
        .withTmpFs({ '/var/lib/containerd': 'rw,exec', '/var/lib/skiff': 'rw,exec' })
        .withCommand(nodeCommand(name, o))
        .withLogConsumer((s) => s.on('data', (line) => process.stderr.write(`[${name}] ${String(line)}`)))
        .withStartupTimeout(120_000);
      const cName = named(name);
      return (cName ? c.withName(cName) : c).start();
    });
    const settled = await Promise.allSettled(started);
    for (const r of settled) if (r.status === 'fulfilled') containers.push(r.value);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    phase('node containers', t);
    console.log(`cluster of ${o.nodes.length} node containers up in ${Date.now() - t0} ms (${phases.join(', ')})`);
  } catch (e) {
    await stop();
    throw e;
  }
  const kubectl = kubectlFor(skiff.kubeconfig, home);
  const net = network;
  const container = (node: string) => {
    const i = o.nodes.indexOf(node);
    if (i < 0) throw new Error(`no node ${node} (nodes: ${o.nodes.join(', ')})`);
    return containers[i]!;
  };
  return {
    home,
    network: net,
    nats,
    skiff,
    kubectl,
    names: [...o.nodes],
    containers,
    container,
    address: (node) => container(node).getIpAddress(net.getName()),
    apply(name, yaml) {
      const f = join(home, `${name}.yaml`);
      writeFileSync(f, yaml);
      const r = kubectl('apply', '-f', f);
      if (r.code !== 0) throw new Error(`kubectl apply -f ${f}: exit ${r.code}: ${r.err}`);
    },
    async ready(timeoutMs = 120_000) {
      for (const name of o.nodes) {
        await until(() => kubectl('get', 'node', name, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}').out === 'True', `${name} to be Ready`, timeoutMs);
      }
    },
    stop,
  };
}
