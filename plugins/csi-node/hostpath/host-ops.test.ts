// attachLoop where /dev has no loop device nodes, as in a node container (Docker's /dev is a tmpfs
// with a few character devices, and losetup does not make the node of the device it finds): a child
// process in a mount namespace of its own, with a fresh tmpfs on /dev, attaches a loop device to a
// file through host-ops.ts, and the test checks what it made and that nothing stays attached.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { describeNeeding } from '../../../scripts/test-parts.ts';
import { loopDevicesOf } from './host-ops.ts';

const HOST_OPS = fileURLToPath(new URL('./host-ops.ts', import.meta.url));

/** in the child: attach, say what it sees, detach */
const CHILD = `
import { existsSync } from 'node:fs';
const ops = await import(process.argv[1]);
const image = process.argv[2];
const before = { control: existsSync('/dev/loop-control') };
const dev = await ops.attachLoop(image);
const seen = { before, dev, node: existsSync(dev), control: existsSync('/dev/loop-control'), associated: await ops.loopDevicesOf(image), again: await ops.attachLoop(image) };
await ops.detachLoops(image);
seen.after = await ops.loopDevicesOf(image);
console.log(JSON.stringify(seen));
`;

describeNeeding(['root'], 'host-path driver host operations', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (!dir) return;
    // a failed child may have left its device attached: detach what is backed by our file only
    for (const d of await loopDevicesOf(join(dir, 'v.img')).catch((): string[] => [])) spawnSync('losetup', ['--detach', d]);
    rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('attaches a loop device where /dev has none, making the nodes it needs', async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-loopdev-'));
    const image = join(dir, 'v.img');
    writeFileSync(image, '');
    truncateSync(image, 1024 * 1024);
    // unshare makes the new mount namespace's mounts private: the tmpfs on /dev stays in the child
    const r = spawnSync(
      'unshare',
      [
        '--mount', '--propagation', 'private', 'sh', '-c',
        'mount -t tmpfs -o mode=755 skiff-test-dev /dev && mknod -m 666 /dev/null c 1 3 && exec "$0" --import tsx --input-type=module -e "$1" "$2" "$3"',
        process.execPath, CHILD, HOST_OPS, image,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const seen = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(seen.before.control).toBe(false); // the namespace really had no loop nodes
    expect(seen.dev).toMatch(/^\/dev\/loop\d+$/);
    expect(seen.node).toBe(true);
    expect(seen.control).toBe(true);
    expect(seen.associated).toEqual([seen.dev]);
    expect(seen.again).toBe(seen.dev); // attached already: the same device
    expect(seen.after).toEqual([]);
    expect(await loopDevicesOf(image)).toEqual([]);
  }, 90_000);
});
