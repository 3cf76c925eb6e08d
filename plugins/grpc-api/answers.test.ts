// The hand-encoded answers decode as protobufjs decodes the messages of proto/skiff/v1.
import { describe, expect, it } from 'vitest';
import { listAnswer, objectAnswer, RecentEvents, watchEventMessage } from './answers.ts';
import { skiffProto } from './proto.ts';

const root = (await skiffProto()).root;
const k = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
const decode = (type: string, b: Buffer) => root.lookupType(type).toObject(root.lookupType(type).decode(b), { defaults: true, longs: Number }) as Record<string, any>;

describe('pre-encoded answers', () => {
  it('encode Object, ObjectList and WatchEvent as protobufjs reads them', () => {
    for (const size of [0, 10, 127, 128, 300, 16_383, 16_384, 70_000]) {
      const o = { metadata: { name: 'x' }, data: { k: 'é'.repeat(size) } };
      expect(JSON.parse(decode('skiff.v1.Object', objectAnswer(o)).json.toString())).toEqual(o);
    }
    const list = decode('skiff.v1.ObjectList', listAnswer({ apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: '42', continue: 'c', remainingItemCount: 7 }, items: [k('a'), k('b')] }));
    expect(list.items.map((i: { json: Buffer }) => JSON.parse(i.json.toString()).metadata.name)).toEqual(['a', 'b']);
    expect([list.resourceVersion, list.continue, list.remainingItemCount]).toEqual(['42', 'c', 7]);
    const ev = decode('skiff.v1.WatchEvent', watchEventMessage('MODIFIED', k('w')));
    expect(ev.type).toBe('MODIFIED');
    expect(JSON.parse(ev.object.json.toString())).toEqual(k('w'));
  });

  it("encodes a frozen (watch cache) object's event once for every watcher, and keeps only a bounded number", () => {
    const enc = new RecentEvents(2, 1 << 20);
    const a = Object.freeze(k('a'));
    const first = enc.encode('ADDED', a);
    expect(enc.encode('ADDED', a)).toBe(first);
    expect(enc.encode('DELETED', a)).not.toBe(first);
    const mutable = k('m');
    expect(enc.encode('ADDED', mutable)).not.toBe(enc.encode('ADDED', mutable));
    enc.encode('ADDED', Object.freeze(k('b')));
    enc.encode('ADDED', Object.freeze(k('c')));
    expect(enc.encode('ADDED', a)).not.toBe(first); // pushed out
  });
});
