// How objects are stored: JSON, and for kinds stored encrypted at rest (Secrets) AES-256-GCM with a
// key from the data dir. The resourceVersion is never stored: it is the KV revision.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KObject } from '../types.ts';

const MAGIC = Buffer.from('skenc1:');

export class ObjectCodec {
  constructor(private readonly key?: Buffer) {
    if (key && key.length !== 32) throw new Error('the secret encryption key must be 32 bytes');
  }

  encode(obj: KObject, encrypt: boolean): Uint8Array {
    const { resourceVersion: _rv, ...meta } = obj.metadata;
    const json = Buffer.from(JSON.stringify({ ...obj, metadata: meta }));
    if (!encrypt) return json;
    if (!this.key) throw new Error('no encryption key configured for objects stored encrypted');
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(json), c.final()]);
    return Buffer.concat([MAGIC, iv, c.getAuthTag(), body]);
  }

  decode(data: Uint8Array, revision: number): KObject {
    try {
      return this.decodeRaw(data, revision);
    } catch (e) {
      throw new CodecError((e as Error).message);
    }
  }

  private decodeRaw(data: Uint8Array, revision: number): KObject {
    let buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (buf.subarray(0, MAGIC.length).equals(MAGIC)) {
      if (!this.key) throw new Error('object is encrypted but no encryption key is configured');
      const iv = buf.subarray(MAGIC.length, MAGIC.length + 12);
      const tag = buf.subarray(MAGIC.length + 12, MAGIC.length + 28);
      const d = createDecipheriv('aes-256-gcm', this.key, iv);
      d.setAuthTag(tag);
      buf = Buffer.concat([d.update(buf.subarray(MAGIC.length + 28)), d.final()]);
    }
    const obj = JSON.parse(buf.toString('utf8')) as KObject;
    obj.metadata.resourceVersion = String(revision);
    return obj;
  }
}

/** A stored value that cannot be turned back into an object (corrupt JSON, a wrong or missing encryption key). */
export class CodecError extends Error {
  override name = 'CodecError';
}
