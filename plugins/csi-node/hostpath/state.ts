// The host-path driver's volumes, kept in <data dir>/volumes.json (written whole, atomically: a
// temporary file renamed over it), so a restarted driver knows its volumes and their sizes. Each
// volume's data is <data dir>/volumes/<id>.img.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface VolumeRecord {
  id: string;
  /** the CO's name for it (CreateVolume's idempotency key) */
  name: string;
  /** the image file's size */
  capacityBytes: number;
  /** the image size its filesystem was made for or last grown to (below capacityBytes: grow at publish) */
  fsBytes?: number;
  parameters: Record<string, string>;
  created: string;
  /** a CSI inline (ephemeral) volume: made at its publish, deleted at its unpublish */
  ephemeral?: boolean;
}

interface StateFile {
  version: 1;
  volumes: VolumeRecord[];
}

/** A volume's id, derived from its name so that a CreateVolume retried after a crash finds the same file. */
export function volumeIdFor(name: string): string {
  return `hp-${createHash('sha256').update(name).digest('hex').slice(0, 32)}`;
}

export class VolumeState {
  private readonly byId = new Map<string, VolumeRecord>();
  private readonly file: string;
  readonly imageDir: string;

  private constructor(readonly dataDir: string) {
    this.file = join(dataDir, 'volumes.json');
    this.imageDir = join(dataDir, 'volumes');
  }

  static async open(dataDir: string): Promise<VolumeState> {
    const s = new VolumeState(dataDir);
    await mkdir(s.imageDir, { recursive: true });
    let text: string | undefined;
    try {
      text = await readFile(s.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (text) {
      const parsed = JSON.parse(text) as StateFile;
      for (const v of parsed.volumes ?? []) s.byId.set(v.id, v);
    }
    return s;
  }

  imagePath(id: string): string {
    return join(this.imageDir, `${id}.img`);
  }

  get(id: string): VolumeRecord | undefined {
    return this.byId.get(id);
  }

  list(): VolumeRecord[] {
    return [...this.byId.values()];
  }

  /** Bytes given to volumes. */
  allocated(): number {
    let n = 0;
    for (const v of this.byId.values()) n += v.capacityBytes;
    return n;
  }

  async put(v: VolumeRecord): Promise<void> {
    this.byId.set(v.id, v);
    await this.save();
  }

  async remove(id: string): Promise<void> {
    if (this.byId.delete(id)) await this.save();
  }

  private saving: Promise<void> = Promise.resolve();

  /** Writes the file whole; writes queue behind each other (each one writes what is known by then). */
  private save(): Promise<void> {
    const write = async () => {
      const body: StateFile = { version: 1, volumes: this.list() };
      const tmp = `${this.file}.tmp`;
      await writeFile(tmp, JSON.stringify(body, null, 2));
      await rename(tmp, this.file);
    };
    const next = this.saving.then(write, write);
    this.saving = next.catch(() => {});
    return next;
  }
}
