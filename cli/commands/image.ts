// `skiff image import <tar>...` and `skiff image ls`: images on this node's containerd without a
// registry. Import loads image tarballs (OCI layout or `docker save`, e.g. from deploy/images) into
// containerd's k8s.io namespace, where the CRI (and so the pods) find them; ls lists what the CRI
// sees.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { CriClient } from '@skiff/plugin-cri-containerd';
import { ctrImport } from '../../deploy/images/load.ts';

const DEFAULT_SOCKET = '/run/containerd/containerd.sock';

function importImages(tars: string[], f: { criSocket: string }): void {
  for (const tar of tars) {
    if (!existsSync(tar)) throw new Error(`${tar}: no such file`);
    // containerd's own importer (ctr ships with it): the CRI has no import call
    const out = ctrImport(tar, { namespace: 'k8s.io', address: f.criSocket });
    const refs = [...out.matchAll(/unpacking (\S+)/g)].map((m) => m[1]);
    process.stdout.write(`${tar}: ${refs.length ? refs.join(', ') : 'imported'}\n`);
  }
}

async function listImages(f: { criSocket: string }): Promise<void> {
  const cri = new CriClient({ socket: f.criSocket });
  try {
    const images = await cri.listImages();
    const rows = images.flatMap((i) => (i.repoTags.length ? i.repoTags : ['<none>']).map((t) => [t, i.id.replace(/^sha256:/, '').slice(0, 12), `${(i.size / 1e6).toFixed(1)}MB`]));
    const w = [0, 1].map((c) => Math.max(c === 0 ? 5 : 8, ...rows.map((r) => r[c].length)));
    process.stdout.write(`${'IMAGE'.padEnd(w[0])}   ${'IMAGE ID'.padEnd(w[1])}   SIZE\n`);
    for (const r of rows.sort((a, b) => a[0].localeCompare(b[0]))) process.stdout.write(`${r[0].padEnd(w[0])}   ${r[1].padEnd(w[1])}   ${r[2]}\n`);
  } finally {
    cri.close();
  }
}

export function registerImageCommand(program: Command): void {
  const image = program.command('image').description("images on this node's containerd (no registry needed)");
  image
    .command('import')
    .description("load image tarballs (OCI or docker save) into containerd's k8s.io namespace, for pods to run")
    .argument('<tar...>', 'image tarballs')
    .option('--cri-socket <path>', "containerd's socket", DEFAULT_SOCKET)
    .action((tars: string[], f: { criSocket: string }) => importImages(tars, f));
  image
    .command('ls')
    .description('list the images the CRI sees')
    .option('--cri-socket <path>', "containerd's socket", DEFAULT_SOCKET)
    .action((f: { criSocket: string }) => listImages(f));
}
