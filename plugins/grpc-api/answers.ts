// Answers encoded once, by this plugin, not per call by grpc-js: the service's response serializers
// are the identity (see server.ts), so a watch event fanned out to many watchers is JSON-stringified
// and protobuf-encoded once, and a unary answer skips protobufjs' fromObject.
import protobuf from 'protobufjs';
import type { KList, KObject, WatchEventType } from '@skiff/kernel';
import { RecentEncodings } from '@skiff/client/api-frontend';

const { Writer } = protobuf;

/** A byte string field (wire type 2) of `tag`, written into `w`. */
const bytesField = (w: protobuf.Writer, tag: number, b: Uint8Array) => w.uint32((tag << 3) | 2).bytes(b);
const stringField = (w: protobuf.Writer, tag: number, s: string) => (s === '' ? w : w.uint32((tag << 3) | 2).string(s));
const finish = (w: protobuf.Writer): Buffer => {
  const u = w.finish();
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
};

/** skiff.v1.Object { bytes json = 1 } of an object's JSON. */
export function objectMessage(json: Uint8Array): Buffer {
  return finish(bytesField(Writer.create(), 1, json));
}

/** skiff.v1.Object of an object: its JSON written straight after the field's tag and length (one buffer, no copies). */
export function objectAnswer(o: unknown): Buffer {
  const text = JSON.stringify(o);
  const n = Buffer.byteLength(text);
  let lenBytes = 1;
  for (let v = n; v >= 0x80; v >>>= 7) lenBytes++;
  const b = Buffer.allocUnsafe(1 + lenBytes + n);
  b[0] = (1 << 3) | 2;
  let i = 1;
  let v = n;
  for (; v >= 0x80; v >>>= 7) b[i++] = (v & 0x7f) | 0x80;
  b[i++] = v;
  b.write(text, i, 'utf8');
  return b;
}

/** skiff.v1.ObjectList { repeated Object items = 1; string resource_version = 2; string continue = 3; int64 remaining_item_count = 4 } */
export function listAnswer(list: KList): Buffer {
  const w = Writer.create();
  for (const item of list.items) {
    w.uint32((1 << 3) | 2).fork();
    bytesField(w, 1, Buffer.from(JSON.stringify(item)));
    w.ldelim();
  }
  stringField(w, 2, list.metadata.resourceVersion ?? '');
  stringField(w, 3, list.metadata.continue ?? '');
  const remaining = list.metadata.remainingItemCount;
  if (remaining) w.uint32(4 << 3).int64(remaining);
  return finish(w);
}

/** skiff.v1.WatchEvent { string type = 1; Object object = 2 } */
export function watchEventMessage(type: WatchEventType, object: KObject): Buffer {
  const w = Writer.create();
  stringField(w, 1, type);
  w.uint32((2 << 3) | 2).fork();
  bytesField(w, 1, Buffer.from(JSON.stringify(object)));
  w.ldelim();
  return finish(w);
}

/** Watch events encoded once for every watcher of the same event (the watch cache's frozen objects). */
export class RecentEvents {
  private readonly recent: RecentEncodings;

  constructor(maxEntries = 1024, maxBytes = 16 * 1024 * 1024) {
    this.recent = new RecentEncodings(maxEntries, maxBytes);
  }

  encode(type: WatchEventType, o: KObject): Buffer {
    if (!Object.isFrozen(o)) return watchEventMessage(type, o);
    let b = this.recent.get(o, type);
    if (!b) this.recent.set(o, type, (b = watchEventMessage(type, o)));
    return b;
  }
}
