// nats: Debian's nats-server (dynamically linked) with the libraries ldd lists and the loader.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { RootFs } from '../rootfs.ts';
import { DPKG_STATUS, type Recipe } from '../recipe.ts';

export const NATS_SERVER = '/usr/sbin/nats-server';

/** `2.9.10` from `nats-server --version` (`nats-server: v2.9.10`). */
export function natsVersion(bin = NATS_SERVER): string {
  const out = execFileSync(bin, ['--version'], { encoding: 'utf8' });
  const v = /v?(\d+\.\d+\.\d+[\w.+-]*)/.exec(out)?.[1];
  if (!v) throw new Error(`cannot read the version of ${bin} from ${JSON.stringify(out)}`);
  return v.replace(/\+/g, '_'); // tags allow [\w.-]
}

export const nats: Recipe = {
  name: 'nats',
  description: "Debian's nats-server with its libraries; entrypoint nats-server, port 4222",
  inputs: () => [NATS_SERVER, DPKG_STATUS],
  async prepare(ctx) {
    const root = await RootFs.create(join(ctx.work, 'rootfs'));
    await root.addBinary(NATS_SERVER);
    await root.addEtc();
    const version = natsVersion();
    return {
      refs: [`skiff.local/nats-server:${version}`, 'skiff.local/nats-server:latest'],
      layers: [root.dir],
      config: {
        entrypoint: [NATS_SERVER],
        exposedPorts: ['4222/tcp', '6222/tcp', '8222/tcp'],
        workingDir: '/',
        labels: { 'org.opencontainers.image.version': version },
      },
    };
  },
};
