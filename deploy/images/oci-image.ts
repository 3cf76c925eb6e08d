// Writes one container image tarball (linux/amd64) that both `ctr images import` (containerd 1.6)
// and `docker load` (Docker 20.10) accept: an OCI image layout (oci-layout, index.json,
// blobs/sha256/...) plus Docker's manifest.json naming the same blobs.
//
// Layers are made with the system GNU tar (--sort=name, uid/gid 0, one fixed mtime, --format=gnu:
// no pax headers with pids or atimes), so the same input tree gives the same digests. GNU tar rather
// than tar-stream: tar-stream is only a transitive dependency here (1.6, untyped), and GNU tar
// already gets symlinks, hard links, device nodes, long names and modes right and is fast on the
// few hundred MB of the node image.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { RootFs } from './rootfs.ts';

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerTar: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** containerd names an imported image after this annotation (the full reference). */
export const ANNOTATION_CONTAINERD_NAME = 'io.containerd.image.name';
/** OCI's reference annotation; containerd's own exporter puts the tag here. */
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';

export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  /** `KEY=value` strings, or a map. */
  env?: string[] | Record<string, string>;
  workingDir?: string;
  user?: string;
  /** `4222/tcp`, `53/udp`; a bare number means tcp. */
  exposedPorts?: (string | number)[];
  /** Paths Docker mounts an anonymous volume at. */
  volumes?: string[];
  labels?: Record<string, string>;
  stopSignal?: string;
}

/** One entry of a layer built from a list instead of a directory. Parent directories are 0755. */
export type FileSpec =
  | { path: string; source: string; mode?: number } // copy a host file or directory (symlinks kept as links)
  | { path: string; content: string | Buffer; mode?: number }
  | { path: string; symlink: string }
  | { path: string; dir: true; mode?: number };

/** A layer: a root filesystem directory, or files to place at given paths. */
export type LayerInput = { rootfs: string } | { files: FileSpec[] };

export interface WriteImageOptions {
  /** The tarball to write (replaced atomically). */
  out: string;
  /** Full references, e.g. `docker.io/library/busybox:latest`; the first is the main name. */
  refs: string[];
  layers: LayerInput[];
  config?: ImageConfig;
  /** Default gzip. */
  compression?: 'gzip' | 'none';
  /** Seconds since the epoch for every file and for `created`; default 0 (reproducible). */
  epoch?: number;
  /** Keep the OCI layout directory here as well (it must not exist). */
  layoutDir?: string;
}

export interface LayerResult {
  mediaType: string;
  digest: string;
  diffId: string;
  size: number;
}

export interface ImageResult {
  refs: string[];
  manifestDigest: string;
  configDigest: string;
  layers: LayerResult[];
  /** Bytes of the written tarball. */
  size: number;
}

/** Splits `host/path/name:tag` into name and tag (`latest` when absent). Digest refs are refused. */
export function parseRef(ref: string): { name: string; tag: string } {
  if (ref.includes('@')) throw new Error(`image ref ${ref}: digest references cannot name a local image`);
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const [name, tag] = colon > slash ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest'];
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(name)) {
    throw new Error(`image ref ${ref}: invalid repository name ${JSON.stringify(name)}`);
  }
  if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw new Error(`image ref ${ref}: invalid tag ${JSON.stringify(tag)}`);
  return { name, tag };
}

const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const blobPath = (digest: string) => `blobs/sha256/${digest.slice('sha256:'.length)}`;

/** Runs GNU tar over the top-level entries of `dir` (sorted), reproducibly, as a stream. */
export function tarDirectory(dir: string, names: string[], epoch = 0): { stream: Readable; done: Promise<void> } {
  const args = [
    '--create', '--file=-', `--directory=${dir}`, '--format=gnu', '--sort=name',
    `--mtime=@${epoch}`, '--owner=0', '--group=0', '--numeric-owner',
    '--no-acls', '--no-xattrs', '--no-selinux',
    '--null', '--verbatim-files-from', '--files-from=-',
  ];
  const tar = spawn('tar', args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  tar.stdin.end(names.map((n) => `${n}\0`).join(''));
  let stderr = '';
  tar.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
  const done = new Promise<void>((resolve, reject) => {
    tar.on('error', reject);
    tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar of ${dir} failed (exit ${code}): ${stderr.trim()}`))));
  });
  return { stream: tar.stdout, done };
}

/** Byte-order sort, the order GNU tar's --sort=name uses inside directories. */
export const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

function hashTap(): { tap: Transform; digest: () => string; size: () => number } {
  const h = createHash('sha256');
  let n = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      n += chunk.length;
      cb(null, chunk);
    },
  });
  let d = '';
  return { tap, digest: () => (d ||= `sha256:${h.digest('hex')}`), size: () => n };
}

/** Writes the layer blob for `dir` into `blobsDir`, returning its descriptors. */
async function writeLayer(dir: string, blobsDir: string, compression: 'gzip' | 'none', epoch: number): Promise<LayerResult> {
  const names = (await readdir(dir)).sort(byBytes);
  const { stream, done } = tarDirectory(dir, names, epoch);
  const tmp = join(blobsDir, `.layer-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const raw = hashTap();
  const packed = hashTap();
  const file = createWriteStream(tmp, { mode: 0o644 });
  const piped =
    compression === 'gzip'
      ? pipeline(stream, raw.tap, createGzip({ level: 6 }), packed.tap, file)
      : pipeline(stream, raw.tap, file);
  await Promise.all([piped, done]);
  const diffId = raw.digest();
  const digest = compression === 'gzip' ? packed.digest() : diffId;
  const size = compression === 'gzip' ? packed.size() : raw.size();
  await rename(tmp, join(blobsDir, digest.slice('sha256:'.length)));
  return { mediaType: compression === 'gzip' ? MEDIA.layerGzip : MEDIA.layerTar, digest, diffId, size };
}

/** Creates the files of a `{ files }` layer under `dir` (parent directories 0755, whatever the umask). */
export async function stageFiles(dir: string, files: FileSpec[]): Promise<void> {
  const root = await RootFs.create(dir);
  for (const f of files) {
    const p = posix.normalize(`/${f.path}`);
    if (p === '/' || posix.normalize(f.path).startsWith('../')) throw new Error(`layer file path ${f.path} is outside the image`);
    if ('source' in f) await root.copy(f.source, p, f.mode);
    else if ('content' in f) await root.writeFile(p, f.content, f.mode ?? 0o644);
    else if ('symlink' in f) await root.symlink(p, f.symlink);
    else await root.mkdir(p, f.mode ?? 0o755);
  }
}

function env(e: ImageConfig['env']): string[] | undefined {
  if (!e) return undefined;
  return Array.isArray(e) ? e : Object.entries(e).map(([k, v]) => `${k}=${v}`);
}

const set = (xs: string[] | undefined) => (xs?.length ? Object.fromEntries(xs.map((x) => [x, {}])) : undefined);

/** The image config JSON (OCI / Docker), keys in a fixed order so the bytes are reproducible. */
export function imageConfigJson(cfg: ImageConfig, diffIds: string[], created: string): string {
  const ports = cfg.exposedPorts?.map((p) => (typeof p === 'number' || !p.includes('/') ? `${p}/tcp` : p));
  const config: Record<string, unknown> = {
    User: cfg.user,
    ExposedPorts: set(ports),
    Env: env(cfg.env),
    Entrypoint: cfg.entrypoint,
    Cmd: cfg.cmd,
    Volumes: set(cfg.volumes),
    WorkingDir: cfg.workingDir,
    Labels: cfg.labels && Object.keys(cfg.labels).length ? cfg.labels : undefined,
    StopSignal: cfg.stopSignal,
  };
  return JSON.stringify({
    created,
    architecture: 'amd64',
    os: 'linux',
    config,
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map(() => ({ created, created_by: 'skiff deploy/images' })),
  });
}

/** Writes the image tarball described by `opts`. */
export async function writeImage(opts: WriteImageOptions): Promise<ImageResult> {
  if (!opts.refs.length) throw new Error('writeImage: at least one ref');
  if (!opts.layers.length) throw new Error('writeImage: at least one layer');
  const refs = opts.refs.map((r) => ({ ref: r, ...parseRef(r) }));
  const epoch = opts.epoch ?? 0;
  const created = new Date(epoch * 1000).toISOString().replace(/\.000Z$/, 'Z');
  const compression = opts.compression ?? 'gzip';

  await mkdir(dirname(opts.out), { recursive: true });
  const work = await mkdtemp(join(dirname(opts.out), `.${basename(opts.out)}.work-`));
  try {
    const layout = join(work, 'layout');
    const blobsDir = join(layout, 'blobs', 'sha256');
    await mkdir(blobsDir, { recursive: true });
    const putBlob = async (content: string) => {
      const digest = sha256(content);
      const p = join(layout, blobPath(digest));
      await writeFile(p, content);
      await chmod(p, 0o644);
      return { digest, size: Buffer.byteLength(content) };
    };

    const layers: LayerResult[] = [];
    for (const [i, l] of opts.layers.entries()) {
      let dir: string;
      if ('rootfs' in l) dir = l.rootfs;
      else {
        dir = join(work, `files-${i}`);
        await stageFiles(dir, l.files);
      }
      if (!(await lstat(dir)).isDirectory()) throw new Error(`layer ${i}: ${dir} is not a directory`);
      layers.push(await writeLayer(dir, blobsDir, compression, epoch));
    }

    const config = await putBlob(imageConfigJson(opts.config ?? {}, layers.map((l) => l.diffId), created));
    const manifest = await putBlob(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.manifest,
        config: { mediaType: MEDIA.config, digest: config.digest, size: config.size },
        layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      }),
    );
    const index = {
      schemaVersion: 2,
      mediaType: MEDIA.index,
      manifests: refs.map((r) => ({
        mediaType: MEDIA.manifest,
        digest: manifest.digest,
        size: manifest.size,
        annotations: { [ANNOTATION_CONTAINERD_NAME]: r.ref, [ANNOTATION_REF_NAME]: r.tag },
        platform: { architecture: 'amd64', os: 'linux' },
      })),
    };
    const dockerManifest = [
      { Config: blobPath(config.digest), RepoTags: refs.map((r) => `${r.name}:${r.tag}`), Layers: layers.map((l) => blobPath(l.digest)) },
    ];
    const top: [string, string][] = [
      ['oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' })],
      ['index.json', JSON.stringify(index)],
      ['manifest.json', JSON.stringify(dockerManifest)],
    ];
    for (const [name, content] of top) {
      await writeFile(join(layout, name), content);
      await chmod(join(layout, name), 0o644);
    }
    await chmod(join(layout, 'blobs'), 0o755);
    await chmod(blobsDir, 0o755);

    const tmpOut = join(work, 'image.tar');
    const { stream, done } = tarDirectory(layout, ['blobs', 'index.json', 'manifest.json', 'oci-layout'], epoch);
    const whole = hashTap();
    await Promise.all([pipeline(stream, whole.tap, createWriteStream(tmpOut, { mode: 0o644 })), done]);
    await rename(tmpOut, opts.out);
    if (opts.layoutDir) await rename(layout, opts.layoutDir);
    return { refs: opts.refs, manifestDigest: manifest.digest, configDigest: config.digest, layers, size: whole.size() };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
