// node: a "Skiff node" image in the spirit of kind's node image. Run privileged in Docker, it starts
// its own containerd (with runc, the CNI plugins, iptables, nft, ip, mount) and then the command given,
// e.g. `node /skiff/skiff.mjs agent ...`. The pause and busybox images are baked in and imported at
// start. Two layers: the system (rarely changes) and /skiff + /node_modules (the Skiff bundle).
import { existsSync, readdirSync, readFileSync, lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unpackBusybox } from '../busybox/recipe.ts';
import { APT_LISTS, DEFAULT_PATH, DPKG_STATUS, type Recipe } from '../recipe.ts';
import { RootFs, busyboxApplets } from '../rootfs.ts';
import { bundleDeps } from './bundle.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
/** .proto files the bundle loads at run time (e.g. the CRI plugin's proto/cri/api.proto), found from /skiff upwards. */
const PROTO_DIR = join(REPO, 'proto');
const ENTRYPOINT = fileURLToPath(new URL('./entrypoint.sh', import.meta.url));
const CONTAINERD_CONFIG = fileURLToPath(new URL('./containerd-config.toml', import.meta.url));

/** `<repo>/dist` when `npm run build` has produced dist/skiff.mjs there, else null. */
export function defaultBundleDir(): string | null {
  const d = join(REPO, 'dist');
  return existsSync(join(d, 'skiff.mjs')) ? d : null;
}

/**
 * The host-path CSI driver's tools (`skiff csi-hostpath` beside the agent): losetup (util-linux), and
 * mkfs.xfs and xfs_growfs (xfsprogs: scripts/ensure-node-deps.sh storage). Its loop device nodes are
 * made by the driver itself (plugins/csi-node/hostpath/host-ops.ts), not here.
 */
export const STORAGE_BINARIES = ['/usr/sbin/losetup', '/usr/sbin/mkfs.xfs', '/usr/sbin/xfs_growfs'];

/** Executables copied with their libraries. */
export const NODE_BINARIES = [
  '/usr/bin/containerd',
  '/usr/bin/containerd-shim-runc-v2',
  '/usr/sbin/runc',
  '/usr/bin/ctr',
  '/usr/sbin/ip',
  '/usr/bin/mount',
  '/usr/bin/umount',
  '/usr/sbin/xtables-nft-multi',
  '/usr/sbin/xtables-legacy-multi',
  // the network plugins' table inet skiff (pod masquerade and hostPorts, the service proxy): Debian nftables
  '/usr/sbin/nft',
  process.execPath,
  ...STORAGE_BINARIES,
];

/** iptables front ends (links to the xtables multi-binaries, some through /etc/alternatives). */
export const IPTABLES_LINKS = ['iptables', 'ip6tables'].flatMap((t) =>
  ['', '-legacy', '-nft'].flatMap((v) => ['', '-save', '-restore'].map((s) => `/usr/sbin/${t}${v}${s}`)),
);

export const CNI_DIR = '/usr/lib/cni';
/** The CNI plugins the node side runs; the others in CNI_DIR come along (all but dhcp, a daemon). */
export const CNI_REQUIRED = ['bridge', 'host-local', 'loopback', 'portmap'];
export const XTABLES_DIR = '/usr/lib/x86_64-linux-gnu/xtables';
export const BAKED_IMAGES_DIR = '/opt/skiff/images';

export const node: Recipe = {
  name: 'node',
  description: 'Skiff node: containerd, runc, CNI plugins, iptables, nft, losetup, xfsprogs, node, /skiff bundle (see README to run)',
  needs: ['pause', 'busybox'],
  inputs: (ctx) => [
    ...NODE_BINARIES,
    ...IPTABLES_LINKS,
    XTABLES_DIR,
    CNI_DIR,
    '/bin/sh',
    DPKG_STATUS,
    APT_LISTS,
    ...['pause', 'busybox'].map((n) => ctx.built[n].tar),
    ...(ctx.params.bundleDir ? bundleDeps(ctx.params.bundleDir).packages.map((p) => p.dir) : []),
  ],
  // every test run rebuilds dist/, mostly to the same bytes
  contentInputs: (ctx) => (ctx.params.bundleDir ? [ctx.params.bundleDir, PROTO_DIR] : []),
  async prepare(ctx) {
    const root = await RootFs.create(join(ctx.work, 'rootfs'));
    // Debian's merged /usr, as on the host: /bin -> usr/bin, /lib -> usr/lib, ...
    // and /var/run -> /run (CRI and `ip netns` put network namespaces in /var/run/netns)
    for (const p of ['/bin', '/sbin', '/lib', '/lib64', '/var/run']) {
      if (lstatSync(p).isSymbolicLink()) await root.symlink(p, readlinkSync(p));
    }
    for (const p of CNI_REQUIRED) if (!existsSync(join(CNI_DIR, p))) throw new Error(`CNI plugin ${join(CNI_DIR, p)} missing (apt-get install containernetworking-plugins)`);
    for (const p of STORAGE_BINARIES) if (!existsSync(p)) throw new Error(`${p} missing (scripts/ensure-node-deps.sh storage installs xfsprogs)`);
    await root.addBinary(
      ...NODE_BINARIES,
      ...readdirSync(XTABLES_DIR).sort().map((so) => join(XTABLES_DIR, so)), // dlopen()ed: ldd of iptables does not list them
      ...readdirSync(CNI_DIR).sort().filter((p) => p !== 'dhcp').map((p) => join(CNI_DIR, p)),
    );
    for (const l of IPTABLES_LINKS) if (existsSync(l)) await root.copyFromHost(l);

    // /bin/sh is dash, as on the host: Debian's static busybox sh runs its own applets before PATH
    // (so `ip` or `mount` in a script would not be iproute2's or util-linux's)
    await root.copyFromHost('/bin/sh');
    await root.addBinary('/usr/bin/dash');
    // busybox for the small tools the entrypoint uses (awk, sed, stat, ...), only where no real binary is
    const bb = unpackBusybox(ctx.cacheDir, join(ctx.work, 'deb'));
    await root.copy(bb, '/usr/bin/busybox', 0o755);
    for (const a of busyboxApplets(bb)) {
      const taken = await Promise.all(['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin'].map((d) => root.exists(`${d}/${a}`)));
      if (!taken.includes(true)) await root.symlink(`/usr/bin/${a}`, 'busybox');
    }

    await root.addEtc();
    const config = readFileSync(CONTAINERD_CONFIG, 'utf8').replaceAll('{{SANDBOX_IMAGE}}', ctx.params.pauseRef);
    await root.writeFile('/etc/containerd/config.toml', config);
    await root.copy(ENTRYPOINT, '/usr/local/bin/skiff-node-entrypoint', 0o755);
    for (const d of ['/etc/cni/net.d', '/var/lib/containerd', '/var/log', '/run', '/skiff']) await root.mkdir(d);
    for (const name of ['pause', 'busybox']) await root.copy(ctx.built[name].tar, `${BAKED_IMAGES_DIR}/${name}.tar`, 0o644);

    const layers = [root.dir];
    if (ctx.params.bundleDir) {
      const skiff = await RootFs.create(join(ctx.work, 'skiff'));
      for (const f of readdirSync(ctx.params.bundleDir).sort()) {
        if (/\.(mjs|js|map)$/.test(f)) await skiff.copy(join(ctx.params.bundleDir, f), `/skiff/${f}`, 0o644);
      }
      if (existsSync(PROTO_DIR)) await skiff.copy(PROTO_DIR, '/skiff/proto');
      const deps = bundleDeps(ctx.params.bundleDir);
      if (deps.missing.length) throw new Error(`the bundle in ${ctx.params.bundleDir} needs packages not in node_modules: ${deps.missing.join(', ')}`);
      for (const p of deps.packages) await skiff.copy(p.dir, `/node_modules/${p.name}`);
      ctx.log(`node: bundle ${ctx.params.bundleDir} with ${deps.packages.length} npm packages in /node_modules (left out: ${deps.skipped.join(', ') || 'none'})`);
      layers.push(skiff.dir);
    } else {
      ctx.log('node: no Skiff bundle baked in (bind-mount the checkout, e.g. -v $PWD:/skiff-src:ro, and run node /skiff-src/dist/skiff.mjs)');
    }

    return {
      refs: ['skiff.local/node:dev'],
      layers,
      config: {
        entrypoint: ['/usr/local/bin/skiff-node-entrypoint'],
        cmd: ['sleep', 'infinity'],
        env: { PATH: DEFAULT_PATH, SKIFF_SANDBOX_IMAGE: ctx.params.pauseRef },
        volumes: ['/var/lib/containerd'],
        workingDir: '/',
        stopSignal: 'SIGTERM',
        labels: { 'io.skiff.node.sandbox-image': ctx.params.pauseRef },
      },
    };
  },
};
