import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME, MEDIA, parseRef, writeImage } from './oci-image.ts';

const dir = mkdtempSync(join(tmpdir(), 'skiff-oci-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface TarEntry {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  type: string;
  linkname: string;
}

/** A small reader of the plain (ustar / GNU, short names) tar files this writer makes. */
function readTar(buf: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  const str = (o: number, n: number) => buf.toString('utf8', o, o + n).replace(/\0.*$/s, '');
  const num = (o: number, n: number) => parseInt(str(o, n).trim() || '0', 8);
  for (let off = 0; off + 512 <= buf.length; ) {
    if (buf.subarray(off, off + 512).every((b) => b === 0)) break;
    const size = num(off + 124, 12);
    out.push({
      name: str(off + 345, 155) ? `${str(off + 345, 155)}/${str(off, 100)}` : str(off, 100),
      mode: num(off + 100, 8),
      uid: num(off + 108, 8),
      gid: num(off + 116, 8),
      size,
      mtime: num(off + 136, 12),
      type: str(off + 156, 1) || '0',
      linkname: str(off + 157, 100),
    });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** Unpacks an image tarball and returns a reader of its files. */
function unpack(tar: string): (p: string) => Buffer {
  const to = mkdtempSync(join(dir, 'x-'));
  execFileSync('tar', ['-xf', tar, '-C', to]);
  return (p) => readFileSync(join(to, p));
}

function sampleRootfs(at: string, mtime: number): string {
  mkdirSync(join(at, 'bin'), { recursive: true });
  mkdirSync(join(at, 'etc', 'empty'), { recursive: true });
  writeFileSync(join(at, 'bin', 'tool'), '#!/bin/sh\necho tool\n');
  chmodSync(join(at, 'bin', 'tool'), 0o755);
  writeFileSync(join(at, 'etc', 'conf'), 'a=1\n');
  chmodSync(join(at, 'etc', 'conf'), 0o640);
  writeFileSync(join(at, 'Zeta'), 'upper-case name sorts first\n');
  symlinkSync('bin/tool', join(at, 'tool-link'));
  for (const p of ['bin/tool', 'etc/conf', 'Zeta', 'bin', 'etc', '.']) utimesSync(join(at, p), mtime, mtime);
  return at;
}

describe('parseRef', () => {
  it('splits name and tag, defaulting the tag', () => {
    expect(parseRef('docker.io/library/busybox:latest')).toEqual({ name: 'docker.io/library/busybox', tag: 'latest' });
    expect(parseRef('localhost:5000/x/y')).toEqual({ name: 'localhost:5000/x/y', tag: 'latest' });
    expect(parseRef('skiff.local/pause:3.9')).toEqual({ name: 'skiff.local/pause', tag: '3.9' });
  });
  it('refuses digests and bad names', () => {
    expect(() => parseRef('busybox@sha256:abc')).toThrow(/digest/);
    expect(() => parseRef('Busybox:latest')).toThrow(/invalid repository/);
    expect(() => parseRef('busybox:bad tag')).toThrow(/invalid tag/);
  });
});

describe('writeImage', () => {
  const refs = ['docker.io/library/sample:1.0', 'skiff.local/sample:latest'];
  const config = {
    entrypoint: ['/bin/tool'],
    cmd: ['--flag'],
    env: { PATH: '/bin', A: 'b' },
    workingDir: '/etc',
    exposedPorts: ['4222/tcp', 53 as const],
    labels: { 'x.y': 'z' },
    volumes: ['/data'],
  };

  it('writes an OCI layout plus a Docker manifest.json over the same, content-addressed blobs', async () => {
    const rootfs = sampleRootfs(join(dir, 'rootfs-a'), 1_600_000_000);
    const out = join(dir, 'a.tar');
    const r = await writeImage({ out, refs, layers: [{ rootfs }], config });
    const read = unpack(out);

    expect(JSON.parse(read('oci-layout').toString())).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(read('index.json').toString());
    expect(index.schemaVersion).toBe(2);
    expect(index.mediaType).toBe(MEDIA.index);
    expect(index.manifests.map((m: { annotations: Record<string, string> }) => m.annotations)).toEqual([
      { [ANNOTATION_CONTAINERD_NAME]: refs[0], [ANNOTATION_REF_NAME]: '1.0' },
      { [ANNOTATION_CONTAINERD_NAME]: refs[1], [ANNOTATION_REF_NAME]: 'latest' },
    ]);
    const blob = (digest: string) => read(`blobs/sha256/${digest.slice('sha256:'.length)}`);

    for (const d of index.manifests) {
      expect(d.mediaType).toBe(MEDIA.manifest);
      expect(d.digest).toBe(r.manifestDigest);
      expect(d.platform).toEqual({ architecture: 'amd64', os: 'linux' });
      expect(sha(blob(d.digest))).toBe(d.digest);
      expect(blob(d.digest).length).toBe(d.size);
    }
    const manifest = JSON.parse(blob(r.manifestDigest).toString());
    expect(manifest.schemaVersion).toBe(2);
    expect(manifest.mediaType).toBe(MEDIA.manifest);
    expect(manifest.config.mediaType).toBe(MEDIA.config);
    expect(manifest.config.digest).toBe(r.configDigest);
    expect(sha(blob(manifest.config.digest))).toBe(manifest.config.digest);
    expect(blob(manifest.config.digest).length).toBe(manifest.config.size);
    expect(manifest.layers).toHaveLength(1);
    const [layer] = manifest.layers;
    expect(layer.mediaType).toBe(MEDIA.layerGzip);
    const layerBlob = blob(layer.digest);
    expect(sha(layerBlob)).toBe(layer.digest);
    expect(layerBlob.length).toBe(layer.size);

    const cfg = JSON.parse(blob(r.configDigest).toString());
    expect(cfg).toMatchObject({ architecture: 'amd64', os: 'linux', created: '1970-01-01T00:00:00Z' });
    const layerTar = gunzipSync(layerBlob);
    expect(cfg.rootfs).toEqual({ type: 'layers', diff_ids: [sha(layerTar)] });
    expect(r.layers[0].diffId).toBe(sha(layerTar));
    expect(cfg.history).toHaveLength(1);
    expect(cfg.config).toEqual({
      Entrypoint: ['/bin/tool'],
      Cmd: ['--flag'],
      Env: ['PATH=/bin', 'A=b'],
      WorkingDir: '/etc',
      ExposedPorts: { '4222/tcp': {}, '53/tcp': {} },
      Labels: { 'x.y': 'z' },
      Volumes: { '/data': {} },
    });

    // Docker's view: the same config and layer files
    expect(JSON.parse(read('manifest.json').toString())).toEqual([
      {
        Config: `blobs/sha256/${r.configDigest.slice(7)}`,
        RepoTags: ['docker.io/library/sample:1.0', 'skiff.local/sample:latest'],
        Layers: [`blobs/sha256/${layer.digest.slice(7)}`],
      },
    ]);

    // the layer: sorted names, root-owned, one mtime, modes and link kept
    const entries = readTar(layerTar);
    expect(entries.map((e) => e.name)).toEqual(['Zeta', 'bin/', 'bin/tool', 'etc/', 'etc/conf', 'etc/empty/', 'tool-link']);
    for (const e of entries) expect([e.uid, e.gid, e.mtime]).toEqual([0, 0, 0]);
    const by = Object.fromEntries(entries.map((e) => [e.name, e]));
    expect(by['bin/tool'].mode & 0o7777).toBe(0o755);
    expect(by['etc/conf'].mode & 0o7777).toBe(0o640);
    expect(by['tool-link']).toMatchObject({ type: '2', linkname: 'bin/tool' });
    expect(by['etc/empty/'].type).toBe('5');

    // the outer tarball is root-owned and has nothing but the layout and manifest.json
    const outer = readTar(readFileSync(out));
    expect(outer.filter((e) => e.type === '0').map((e) => e.name).sort()).toEqual(
      [...new Set([r.manifestDigest, r.configDigest, layer.digest])].map((d) => `blobs/sha256/${d.slice(7)}`).concat(['index.json', 'manifest.json', 'oci-layout']).sort(),
    );
    expect(outer.every((e) => e.uid === 0 && e.gid === 0)).toBe(true);
    expect(r.size).toBe(readFileSync(out).length);
  });

  it('is reproducible: the same tree (other times, other place) gives the same bytes', async () => {
    const a = sampleRootfs(join(dir, 'rootfs-r1'), 1_500_000_000);
    const b = join(dir, 'rootfs-r2');
    cpSync(a, b, { recursive: true, verbatimSymlinks: true }); // new times
    const ra = await writeImage({ out: join(dir, 'r1.tar'), refs, layers: [{ rootfs: a }], config });
    const rb = await writeImage({ out: join(dir, 'r2.tar'), refs, layers: [{ rootfs: b }], config });
    expect(rb.manifestDigest).toBe(ra.manifestDigest);
    expect(rb.layers).toEqual(ra.layers);
    expect(sha(readFileSync(join(dir, 'r2.tar')))).toBe(sha(readFileSync(join(dir, 'r1.tar'))));

    writeFileSync(join(b, 'etc', 'conf'), 'a=2\n');
    const rc = await writeImage({ out: join(dir, 'r3.tar'), refs, layers: [{ rootfs: b }], config });
    expect(rc.layers[0].diffId).not.toBe(ra.layers[0].diffId);
  });

  it('builds a layer from a list of files, uncompressed when asked', async () => {
    const src = join(dir, 'src-dir');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'sub', 'f'), 'from a directory\n');
    const host = join(dir, 'host-file');
    writeFileSync(host, 'copied\n');
    const out = join(dir, 'files.tar');
    const r = await writeImage({
      out,
      refs: ['skiff.local/files'],
      compression: 'none',
      layers: [
        {
          files: [
            { path: '/usr/bin/copied', source: host, mode: 0o755 },
            { path: '/opt/tree', source: src },
            { path: '/etc/motd', content: 'hi\n' },
            { path: '/bin/sh', symlink: '/usr/bin/copied' },
            { path: '/tmp', dir: true, mode: 0o1777 },
          ],
        },
      ],
    });
    expect(r.layers[0].mediaType).toBe(MEDIA.layerTar);
    expect(r.layers[0].digest).toBe(r.layers[0].diffId);
    const read = unpack(out);
    const layer = read(`blobs/sha256/${r.layers[0].digest.slice(7)}`);
    expect(sha(layer)).toBe(r.layers[0].digest);
    const by = Object.fromEntries(readTar(layer).map((e) => [e.name, e]));
    expect(Object.keys(by)).toEqual(['bin/', 'bin/sh', 'etc/', 'etc/motd', 'opt/', 'opt/tree/', 'opt/tree/sub/', 'opt/tree/sub/f', 'tmp/', 'usr/', 'usr/bin/', 'usr/bin/copied']);
    expect(by['usr/bin/copied'].mode & 0o7777).toBe(0o755);
    expect(by['tmp/'].mode & 0o7777).toBe(0o1777);
    expect(by['bin/sh'].linkname).toBe('/usr/bin/copied');
    expect(JSON.parse(read('index.json').toString()).manifests[0].annotations).toEqual({
      [ANNOTATION_CONTAINERD_NAME]: 'skiff.local/files',
      [ANNOTATION_REF_NAME]: 'latest',
    });
    expect(JSON.parse(read('manifest.json').toString())[0].RepoTags).toEqual(['skiff.local/files:latest']);
  });

  it('refuses paths outside the image', async () => {
    await expect(
      writeImage({ out: join(dir, 'bad.tar'), refs: ['x'], layers: [{ files: [{ path: '../etc/x', content: '' }] }] }),
    ).rejects.toThrow(/outside the image/);
  });
});
