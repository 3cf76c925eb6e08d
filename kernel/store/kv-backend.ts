// The raw JetStream KV operations the store needs, with revisions. Writes go straight to the KV
// subjects with `Nats-Expected-Last-Subject-Sequence` (what @nats-io/kv does too) because the store
// needs the revision of every write, deletes included, and a delete marker that carries the object's
// final state so DELETED watch events have it.
//
// Faults: every write carries a `Nats-Msg-Id` (JetStream de-duplicates on it), so a write whose ack
// was lost is resolved by sending the very same message again once the store answers: JetStream
// either stores it now or answers the sequence it stored the first time — never twice. A write still
// in doubt after IN_DOUBT_WAIT_MS is a 504 that says it may have happened; nothing is sent while
// the store is down (503), so a write answered 503 never lands later.
import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, JetStreamApiError, JetStreamApiCodes } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry, type KvWatchEntry, type KvWatchOptions } from '@nats-io/kv';
import { headers, type MsgHdrs, type NatsConnection, type QueuedIterator } from '@nats-io/nats-core';
import { errors, isStatusError } from '../status.ts';
import { AckPublisher, NoStream, PublishInDoubt } from './ack-publisher.ts';
import { StoreHealth } from './store-health.ts';
import { asStatus } from './store-errors.ts';

/** How long a publish waits for its ack before it is in doubt. */
export const ACK_TIMEOUT_MS = 5000;
/** How long an in-doubt write waits for the store to come back and settle it, before a 504. */
export const IN_DOUBT_WAIT_MS = 3000;
/** Store requests (reads, stream info) give up after this. */
export const REQUEST_TIMEOUT_MS = 5000;
/** Largest stored object, encoded: kube-apiserver's limit (etcd's request limit), or less if NATS allows less. */
export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;

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
  /** largest value a write may carry (bytes) */
  readonly maxObjectBytes: number;

  private constructor(
    private readonly nc: NatsConnection,
    readonly bucket: string,
    private readonly publisher: AckPublisher,
    private readonly kv: KV,
    readonly health: StoreHealth,
    private readonly ownsHealth: boolean,
    maxPayload: number,
  ) {
    // headers, subject and the protocol line take some of the payload
    this.maxObjectBytes = Math.min(MAX_OBJECT_BYTES, maxPayload - 16 * 1024);
  }

  static async open(nc: NatsConnection, opts: KvBackendOptions & { health?: StoreHealth } = {}): Promise<KvBackend> {
    const bucket = opts.bucket ?? 'skiff-objects';
    const js = jetstream(nc, { timeout: REQUEST_TIMEOUT_MS });
    const kvm = new Kvm(js);
    // history 1: the store keeps the latest value (or delete marker) of each key; the watch cache
    // keeps the recent past in memory for watch resumption.
    const kv = await kvm.create(bucket, { history: 1, replicas: opts.replicas ?? 1, maxValueSize: 3 * 1024 * 1024 });
    const health = opts.health ?? new StoreHealth(nc);
    return new KvBackend(nc, bucket, new AckPublisher(nc, ACK_TIMEOUT_MS, health), kv, health, !opts.health, nc.info?.max_payload ?? 1024 * 1024);
  }

  close(): void {
    this.publisher.close();
    if (this.ownsHealth) this.health.stop();
  }

  /** A store request (not a write): 503 while the store is down, and 503 when it fails for the store's sake. */
  private async request<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.health.assertUp();
    // a request in flight when the store goes away is answered then, not at its timeout
    let offDown: (() => void) | undefined;
    const down = new Promise<never>((_, reject) => (offDown = this.health.onDown(() => reject(this.health.unavailable()))));
    try {
      return await Promise.race([fn(), down]);
    } catch (e) {
      if (isStatusError(e)) throw e;
      const m = (e as Error).message ?? String(e);
      // a timeout, no responders, a closed or lost connection: the store's fault, and a read is safe to retry
      if (/timeout|no responders|503|closed|disconnect|connection/i.test(m) || (e as { code?: string }).code === 'TIMEOUT') {
        this.health.suspect();
        throw errors.serviceUnavailable(`the object store did not answer ${what}: ${m}`, 1);
      }
      throw asStatus(e, what);
    } finally {
      offDown?.();
    }
  }

  private subject(key: string): string {
    return `$KV.${this.bucket}.${key}`;
  }

  async get(key: string): Promise<RawEntry | null> {
    const e = await this.request(`a read of ${key}`, () => this.kv.get(key));
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
   * Remove these delete markers from the stream (each only if still the key's latest entry: the
   * purge takes the key's messages below the marker's revision + 1, never a newer value), so the
   * store is bounded by live objects. Returns how many messages went.
   */
  async purgeDeleteMarkers(markers: { key: string; revision: number }[]): Promise<number> {
    if (markers.length === 0) return 0;
    const jsm = await this.request('a JetStream manager request', () => jetstreamManager(this.nc, { timeout: REQUEST_TIMEOUT_MS }));
    let purged = 0;
    for (let i = 0; i < markers.length; i += 32) {
      const batch = markers.slice(i, i + 32).map((m) =>
        this.request(`a purge of ${m.key}`, () => jsm.streams.purge(`KV_${this.bucket}`, { filter: this.subject(m.key), seq: m.revision + 1 })).then((r) => (purged += r.purged)),
      );
      await Promise.all(batch);
    }
    return purged;
  }

  /** The latest revision in the bucket (the stream's last sequence). */
  async lastRevision(): Promise<number> {
    const st = await this.request('a request for the latest revision', () => this.kv.status());
    return st.streamInfo.state.last_seq;
  }

  /**
   * Every key's latest entry, then every change as it happens; from `fromRevision`: every entry
   * stored at that revision or after it, in order (what a restarted feed needs).
   */
  watchAll(fromRevision?: number): Promise<QueuedIterator<KvWatchEntry>> {
    const opts: KvWatchOptions = { key: '>' };
    if (fromRevision !== undefined) opts.resumeFromRevision = fromRevision;
    return this.kv.watch(opts);
  }

  private async publish(key: string, data: Uint8Array, expected: number, op?: 'DEL'): Promise<number> {
    if (data.length > this.maxObjectBytes) {
      throw errors.requestEntityTooLarge(`the object is too large to store: ${data.length} bytes encoded, the limit is ${this.maxObjectBytes} bytes`);
    }
    const h = headers();
    h.set('Nats-Expected-Last-Subject-Sequence', String(expected));
    h.set('Nats-Msg-Id', randomUUID());
    if (op) h.set('KV-Operation', op);
    const subject = this.subject(key);
    try {
      return await this.send(key, subject, data, h);
    } catch (e) {
      if (!(e instanceof PublishInDoubt)) throw e;
      return this.settle(key, subject, data, h, e);
    }
  }

  private async send(key: string, subject: string, data: Uint8Array, h: MsgHdrs): Promise<number> {
    try {
      const ack = await this.publisher.publish(subject, data, h);
      return ack.seq;
    } catch (e) {
      if (
        e instanceof JetStreamApiError &&
        (e.code === JetStreamApiCodes.StreamWrongLastSequence || e.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
      ) {
        throw new RevisionMismatch(key);
      }
      if (e instanceof NoStream) {
        this.health.suspect();
        throw errors.serviceUnavailable(`the object store is not ready: ${e.message}`, 1);
      }
      // an in-doubt write is settled by the caller; anything else JetStream says is a Status
      if (e instanceof PublishInDoubt) throw e;
      throw asStatus(e, `the write of ${key}`);
    }
  }

  /**
   * A write in doubt: once the store answers, send the same message (same Nats-Msg-Id) again; the
   * answer is the write's outcome. JetStream checks the message id before the expected revision, so
   * a write that landed the first time answers its own sequence, not a mismatch.
   */
  private async settle(key: string, subject: string, data: Uint8Array, h: MsgHdrs, first: PublishInDoubt): Promise<number> {
    const deadline = Date.now() + IN_DOUBT_WAIT_MS;
    let last: Error = first;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || !(await this.health.whenUp(left))) {
        throw errors.timeout(
          `the write of ${key} was sent but the object store did not confirm it in time (${last.message}); it may or may not have been applied: read the object before retrying`,
          1,
        );
      }
      try {
        return await this.send(key, subject, data, h);
      } catch (e) {
        if (!(e instanceof PublishInDoubt) && !(isStatusError(e) && e.code === 503)) throw e;
        last = e as Error;
        // the store answered but JetStream is not ready yet, or went away again: a little later
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

export function toRaw(e: KvEntry): RawEntry {
  return { key: e.key, value: e.value, revision: e.revision, deleted: e.operation !== 'PUT' };
}
