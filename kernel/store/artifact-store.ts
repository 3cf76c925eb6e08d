// Plugin artifacts (WASM components, bundles) in a JetStream object store bucket, so every
// replica and node can fetch them: put / get (optionally checking an expected digest) / info /
// list / delete by name. Digests are `sha256:<hex>` (the object store's own SHA-256, which it
// also checks on every read). The bucket is created on first use.
import { createHash } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { Objm, StorageType, type ObjectInfo, type ObjectStore } from '@nats-io/obj';
import { artifactNameErrors, isArtifactDigest } from './artifact-names.ts';

export { artifactNameErrors, isArtifactDigest } from './artifact-names.ts';

export const ArtifactBucket = 'skiff-artifacts';

export interface ArtifactInfo {
  name: string;
  /** `sha256:<64 hex>` */
  digest: string;
  size: number;
  /** when it was last written (RFC 3339) */
  modified?: string;
}

export interface Artifact extends ArtifactInfo {
  bytes: Uint8Array;
}

export interface ArtifactPutResult extends ArtifactInfo {
  /** the bucket already held these exact bytes under this name: nothing was written */
  unchanged: boolean;
}

/** What reading artifacts takes (the PluginObjectController needs only this). */
export interface ArtifactReader {
  /** The artifact; throws ArtifactNotFoundError, or ArtifactDigestMismatchError when `digest` is given and differs. */
  get(name: string, opts?: { digest?: string }): Promise<Artifact>;
}

export interface ArtifactStoreOptions {
  /** default `skiff-artifacts` */
  bucket?: string;
  /** JetStream replicas (3 on a clustered JetStream); used when the bucket is created */
  replicas?: number;
  /** JetStream API timeout (default 10 s) */
  timeoutMs?: number;
}

export class ArtifactNotFoundError extends Error {
  readonly code = 404;
  constructor(
    readonly artifact: string,
    readonly bucket: string,
  ) {
    super(`artifact "${artifact}" not found in object store bucket "${bucket}"`);
    this.name = 'ArtifactNotFoundError';
  }
}

export class ArtifactDigestMismatchError extends Error {
  readonly code = 409;
  constructor(
    readonly artifact: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`artifact "${artifact}" has digest ${actual}, but ${expected} was expected`);
    this.name = 'ArtifactDigestMismatchError';
  }
}

/** `sha256:<hex>` of `bytes`. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The object store's `SHA-256=<base64url>` as `sha256:<hex>`. */
function hexDigest(info: ObjectInfo): string {
  const d = info.digest ?? '';
  if (!d.startsWith('SHA-256=')) return '';
  return `sha256:${Buffer.from(d.slice('SHA-256='.length), 'base64url').toString('hex')}`;
}

const toInfo = (i: ObjectInfo): ArtifactInfo => ({ name: i.name, digest: hexDigest(i), size: i.size, ...(i.mtime ? { modified: i.mtime } : {}) });

export class ArtifactStore implements ArtifactReader {
  readonly bucket: string;
  private store?: Promise<ObjectStore>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly opts: ArtifactStoreOptions = {},
  ) {
    this.bucket = opts.bucket ?? ArtifactBucket;
  }

  /** The bucket, created on first use (creating an existing bucket opens it). */
  private os(): Promise<ObjectStore> {
    this.store ??= new Objm(jetstream(this.nc, { timeout: this.opts.timeoutMs ?? 10_000 }))
      .create(this.bucket, { storage: StorageType.File, replicas: this.opts.replicas ?? 1, description: 'Skiff plugin artifacts' })
      .catch((err: unknown) => {
        this.store = undefined; // try again next time
        throw new Error(`cannot open object store bucket "${this.bucket}": ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      });
    return this.store;
  }

  /** Store `bytes` under `name` (replacing what was there); nothing is written when the bytes are the same. */
  async put(name: string, bytes: Uint8Array): Promise<ArtifactPutResult> {
    const problems = artifactNameErrors(name);
    if (problems.length) throw new Error(`invalid artifact name "${name}": ${problems.join('; ')}`);
    const os = await this.os();
    const digest = sha256Digest(bytes);
    const cur = await os.info(name);
    if (cur && !cur.deleted && hexDigest(cur) === digest && cur.size === bytes.length) return { ...toInfo(cur), unchanged: true };
    const info = await os.putBlob({ name, description: `sha256 ${digest.slice(7)}` }, bytes);
    const stored = toInfo(info);
    if (stored.digest !== digest) throw new Error(`artifact "${name}": stored digest ${stored.digest} differs from ${digest}`);
    return { ...stored, unchanged: false };
  }

  /** Name, digest and size, without the bytes; undefined when there is no such artifact. */
  async info(name: string): Promise<ArtifactInfo | undefined> {
    if (!name) return undefined;
    const i = await (await this.os()).info(name);
    return i && !i.deleted ? toInfo(i) : undefined;
  }

  async get(name: string, opts: { digest?: string } = {}): Promise<Artifact> {
    if (opts.digest !== undefined && !isArtifactDigest(opts.digest)) {
      throw new Error(`invalid digest "${opts.digest}": want sha256:<64 lower-case hex digits>`);
    }
    const os = await this.os();
    const info = name ? await os.info(name) : null;
    if (!info || info.deleted) throw new ArtifactNotFoundError(name, this.bucket);
    const stored = hexDigest(info);
    if (opts.digest && stored !== opts.digest) throw new ArtifactDigestMismatchError(name, opts.digest, stored);
    const bytes = await os.getBlob(name);
    if (!bytes) throw new ArtifactNotFoundError(name, this.bucket); // deleted meanwhile
    // replaced meanwhile (the object store checked the bytes against their own digest)
    const digest = sha256Digest(bytes);
    if (opts.digest && digest !== opts.digest) throw new ArtifactDigestMismatchError(name, opts.digest, digest);
    return { name, digest, size: bytes.length, ...(info.mtime ? { modified: info.mtime } : {}), bytes };
  }

  /** Every artifact, by name. */
  async list(): Promise<ArtifactInfo[]> {
    const all = await (await this.os()).list();
    return all.filter((i) => !i.deleted).map(toInfo).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Delete `name`; false when there was no such artifact. */
  async delete(name: string): Promise<boolean> {
    const os = await this.os();
    const info = name ? await os.info(name) : null;
    if (!info || info.deleted) return false;
    await os.delete(name);
    return true;
  }
}
