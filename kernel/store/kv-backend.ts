// The raw JetStream KV operations the store needs, with revisions. Writes go straight to the KV
// subjects with `Nats-Expected-Last-Subject-Sequence` (what @nats-io/kv does too) because the store
// needs the revision of every write, deletes included, and a delete marker that carries the object's
// final state so DELETED watch events have it.
import { jetstream, JetStreamApiError, JetStreamApiCodes } from '@nats-io/jetstream';
import { Bucket, Kvm, type KV, type KvEntry, type KvWatchEntry } from '@nats-io/kv';
import { headers, type NatsConnection, type QueuedIterator } from '@nats-io/nats-core';
import { AckPublisher } from './ack-publisher.ts';

export class RevisionMismatch extends Error {
  constructor(readonly key: string) {
    super(`revision mismatch on ${key}`);
  }
}

export interface RawEntry {
  key: string;
  value: Uint8Array;
  revision: number;
  deleted: boolean;
}

export interface KvBackendOptions {
  bucket?: string;
  /** JetStream replicas (3 on a clustered JetStream) */
  replicas?: number;
}

export class KvBackend {
  private constructor(
    readonly bucket: string,
    private readonly publisher: AckPublisher,
    private readonly kv: KV,
  ) {}

  static async open(nc: NatsConnection, opts: KvBackendOptions = {}): Promise<KvBackend> {
    const bucket = opts.bucket ?? 'skiff-objects';
    const js = jetstream(nc, { timeout: 10_000 });
    const kvm = new Kvm(js);
    // history 1: the store keeps the latest value (or delete marker) of each key; the watch cache
    // keeps the recent past in memory for watch resumption.
    const kv = await kvm.create(bucket, { history: 1, replicas: opts.replicas ?? 1, maxValueSize: 3 * 1024 * 1024 });
    return new KvBackend(bucket, new AckPublisher(nc, 10_000), kv);
  }

  close(): void {
    this.publisher.close();
  }

  private subject(key: string): string {
    return `$KV.${this.bucket}.${key}`;
  }

  async get(key: string): Promise<RawEntry | null> {
    const e = await this.kv.get(key);
    if (!e) return null;
    return toRaw(e);
  }

  /** Create a key that does not exist (or exists only as a delete marker). */
  async create(key: string, data: Uint8Array): Promise<number> {
    try {
      return await this.publish(key, data, 0);
    } catch (e) {
      if (!(e instanceof RevisionMismatch)) throw e;
    }
    const cur = await this.get(key);
    if (cur && cur.deleted) return this.publish(key, data, cur.revision);
    throw new RevisionMismatch(key);
  }

  update(key: string, data: Uint8Array, expectedRevision: number): Promise<number> {
    return this.publish(key, data, expectedRevision);
  }

  /** Write a delete marker carrying `finalState`; returns the revision of the deletion. */
  delete(key: string, finalState: Uint8Array, expectedRevision: number): Promise<number> {
    return this.publish(key, finalState, expectedRevision, 'DEL');
  }

  /**
   * Remove delete markers older than `olderThanMs` (their keys vanish from the stream), so the store
   * is bounded by live objects. Watchers never need them: a watch that old is below the floor anyway.
   */
  async purgeOldDeletes(olderThanMs: number): Promise<number> {
    if (!(this.kv instanceof Bucket)) return 0;
    const r = await this.kv.purgeDeletes(olderThanMs);
    return r.purged;
  }

  /** The latest revision in the bucket (the stream's last sequence). */
  async lastRevision(): Promise<number> {
    const st = await this.kv.status();
    return st.streamInfo.state.last_seq;
  }

  /** Every key's latest entry, then every change as it happens. */
  watchAll(): Promise<QueuedIterator<KvWatchEntry>> {
    return this.kv.watch({ key: '>' });
  }

  private async publish(key: string, data: Uint8Array, expected: number, op?: 'DEL'): Promise<number> {
    const h = headers();
    h.set('Nats-Expected-Last-Subject-Sequence', String(expected));
    if (op) h.set('KV-Operation', op);
    try {
      const ack = await this.publisher.publish(this.subject(key), data, h);
      return ack.seq;
    } catch (e) {
      if (
        e instanceof JetStreamApiError &&
        (e.code === JetStreamApiCodes.StreamWrongLastSequence || e.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
      ) {
        throw new RevisionMismatch(key);
      }
      throw e;
    }
  }
}

export function toRaw(e: KvEntry): RawEntry {
  return { key: e.key, value: e.value, revision: e.revision, deleted: e.operation !== 'PUT' };
}
