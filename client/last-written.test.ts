import { describe, expect, it } from 'vitest';
import type { KObject } from '@skiff/kernel';
import { LastWritten } from './last-written.ts';

const obj = (uid: string, rv: number, note = ''): KObject => ({ apiVersion: 'v1', kind: 'X', metadata: { name: 'x', uid, resourceVersion: String(rv), annotations: { note } } });

describe('LastWritten', () => {
  it('gives the written copy while the informer is older, then the informer copy', () => {
    const w = new LastWritten<KObject>();
    expect(w.current('ns/x', obj('a', 5))?.metadata.resourceVersion).toBe('5'); // nothing written
    const written = obj('a', 7, 'mine');
    w.wrote('ns/x', written);
    written.metadata.annotations!.note = 'changed by the caller';
    expect(w.current('ns/x', obj('a', 5))?.metadata.annotations?.note).toBe('mine'); // a copy was kept
    expect(w.current('ns/x', obj('a', 7, 'listed'))?.metadata.annotations?.note).toBe('listed'); // caught up
    expect(w.size).toBe(0); // and forgotten
    expect(w.current('ns/x', obj('a', 6, 'listed'))?.metadata.annotations?.note).toBe('listed');
  });

  it('never gives a copy of another object of the name, nor of one gone; forget drops it', () => {
    const w = new LastWritten<KObject>();
    w.wrote('ns/x', obj('a', 9, 'mine'));
    expect(w.current('ns/x', obj('b', 3, 'new object'))?.metadata.annotations?.note).toBe('new object');
    w.wrote('ns/x', obj('a', 9, 'mine'));
    expect(w.current('ns/x', undefined)).toBeUndefined();
    expect(w.size).toBe(0);
    w.wrote('ns/x', obj('a', 9, 'mine'));
    w.forget('ns/x');
    expect(w.current('ns/x', obj('a', 5, 'listed'))?.metadata.annotations?.note).toBe('listed');
  });
});
