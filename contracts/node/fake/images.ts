// The fake runtime's image store (CRI ImageService, in memory): images by id, with the names
// (repoTags) they are known by, and a "registry" of what a pull can fetch. An image is found by
// any of its names or by its id, as containerd finds one by reference or by config digest.
import { createHash } from 'node:crypto';
import type { FilesystemUsage, Image, ImageFsInfoResponse } from '../cri/types.ts';

export interface ImageRecord {
  id: string;
  repoTags: string[];
  size: number;
}

/** What a pull can fetch: a map of name -> size, or 'any' (every name, `defaultImageSize` bytes). */
export type Registry = Map<string, number> | 'any';

/** A stable image id for a name: "sha256:" and 64 hex digits, as a config digest looks. */
export const imageIdOf = (name: string) => `sha256:${createHash('sha256').update(name).digest('hex')}`;

export class FakeImages {
  private readonly byId = new Map<string, ImageRecord>();
  private readonly byName = new Map<string, string>();

  constructor(
    /** what pulls can fetch */
    public registry: Registry = 'any',
    readonly defaultImageSize = 1 << 20,
  ) {}

  /** The image `ref` (a name or an id) names, if present. */
  find(ref: string): ImageRecord | undefined {
    return this.byId.get(this.byName.get(ref) ?? ref);
  }

  /** Makes `name` present (as id `id`, or the name's stable id); returns the id. */
  add(name: string, size: number, id = imageIdOf(name)): string {
    const old = this.byName.get(name);
    if (old && old !== id) this.untag(name);
    let rec = this.byId.get(id);
    if (!rec) this.byId.set(id, (rec = { id, repoTags: [], size }));
    rec.size = size;
    if (!rec.repoTags.includes(name)) rec.repoTags.push(name);
    this.byName.set(name, id);
    return id;
  }

  /** Makes `name` pullable, `size` bytes (with registry 'any' every name already is). */
  publish(name: string, size: number): void {
    if (this.registry !== 'any') this.registry.set(name, size);
  }

  /** A pull: the id, or undefined when the registry does not have `name`. */
  pull(name: string): string | undefined {
    const size = this.registry === 'any' ? this.defaultImageSize : this.registry.get(name);
    return size === undefined ? undefined : this.add(name, size, this.find(name)?.id ?? imageIdOf(name));
  }

  /** Removes the image `ref` names, with all its names. Idempotent. */
  remove(ref: string): void {
    const rec = this.find(ref);
    if (!rec) return;
    for (const t of rec.repoTags) this.byName.delete(t);
    this.byId.delete(rec.id);
  }

  list(filterName?: string): Image[] {
    const recs = filterName ? [this.find(filterName)].filter((r): r is ImageRecord => !!r) : [...this.byId.values()];
    return recs.map(toImage);
  }

  fsInfo(timestamp: number): ImageFsInfoResponse {
    const used = [...this.byId.values()].reduce((n, r) => n + r.size, 0);
    const fs: FilesystemUsage = { timestamp, fsId: { mountpoint: '/var/lib/fake-runtime/images' }, usedBytes: { value: used }, inodesUsed: { value: this.byId.size } };
    return { imageFilesystems: [fs], containerFilesystems: [] };
  }

  private untag(name: string): void {
    const rec = this.find(name);
    this.byName.delete(name);
    if (!rec) return;
    rec.repoTags = rec.repoTags.filter((t) => t !== name);
    if (!rec.repoTags.length) this.byId.delete(rec.id);
  }
}

export function toImage(r: ImageRecord): Image {
  return { id: r.id, repoTags: [...r.repoTags], repoDigests: [], size: r.size, uid: null, username: '', spec: null, pinned: false };
}
