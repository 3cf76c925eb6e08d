import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ArtifactBucket, ArtifactDigestMismatchError, ArtifactNotFoundError, ArtifactStore, artifactNameErrors, isArtifactDigest, sha256Digest,
} from './artifact-store.ts';
import { startNatsServer, type EmbeddedNats } from './nats-server.ts';

let dir: string;
let nats: EmbeddedNats;
let nc: NatsConnection;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-artifacts-'));
  nats = await startNatsServer({ dataDir: dir });
  nc = await connect({ servers: nats.url, noAsyncTraces: true });
});
afterAll(async () => {
  await nc?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('ArtifactStore', () => {
  it('puts, gets, lists and deletes artifacts by name, with sha256 digests', async () => {
    const store = new ArtifactStore(nc);
    expect(store.bucket).toBe(ArtifactBucket);
    expect(await store.list()).toEqual([]); // the bucket is created on demand

    const bytes = new TextEncoder().encode('(component)');
    const put = await store.put('policies/spread.wasm', bytes);
    expect(put).toMatchObject({ name: 'policies/spread.wasm', digest: sha256Digest(bytes), size: bytes.length, unchanged: false });
    expect(put.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await store.put('policies/spread.wasm', bytes)).toMatchObject({ digest: put.digest, unchanged: true });

    // bigger than one chunk (128 KiB)
    const big = randomBytes(700 * 1024);
    const bigPut = await store.put('big', big);
    expect(bigPut).toMatchObject({ digest: sha256Digest(big), size: big.length });

    const got = await store.get('policies/spread.wasm');
    expect(Buffer.from(got.bytes).toString()).toBe('(component)');
    expect(got).toMatchObject({ name: 'policies/spread.wasm', digest: put.digest, size: bytes.length });
    expect(Buffer.compare(Buffer.from((await store.get('big', { digest: bigPut.digest })).bytes), big)).toBe(0);

    expect((await store.list()).map((a) => [a.name, a.digest, a.size])).toEqual([
      ['big', bigPut.digest, big.length],
      ['policies/spread.wasm', put.digest, bytes.length],
    ]);
    expect(await store.info('big')).toMatchObject({ digest: bigPut.digest, size: big.length });

    // replacing: the new bytes, a new digest
    const v2 = new TextEncoder().encode('(component v2)');
    const put2 = await store.put('policies/spread.wasm', v2);
    expect(put2).toMatchObject({ unchanged: false, digest: sha256Digest(v2) });
    expect(Buffer.from((await store.get('policies/spread.wasm')).bytes).toString()).toBe('(component v2)');

    // another instance (another replica) sees the same bucket
    const other = new ArtifactStore(nc);
    expect((await other.get('policies/spread.wasm', { digest: put2.digest })).size).toBe(v2.length);

    expect(await store.delete('big')).toBe(true);
    expect(await store.delete('big')).toBe(false);
    expect(await store.info('big')).toBeUndefined();
    await expect(store.get('big')).rejects.toBeInstanceOf(ArtifactNotFoundError);
    expect((await store.list()).map((a) => a.name)).toEqual(['policies/spread.wasm']);
  });

  it('refuses a digest mismatch, unknown names, bad names and bad digests with clear errors', async () => {
    const store = new ArtifactStore(nc, { bucket: 'skiff-artifacts-test' });
    const a = await store.put('a', new Uint8Array([1, 2, 3]));
    const wrong = sha256Digest(new Uint8Array([9]));

    const mismatch = await store.get('a', { digest: wrong }).catch((e: unknown) => e);
    expect(mismatch).toBeInstanceOf(ArtifactDigestMismatchError);
    expect((mismatch as Error).message).toBe(`artifact "a" has digest ${a.digest}, but ${wrong} was expected`);

    await expect(store.get('nope')).rejects.toThrow('artifact "nope" not found in object store bucket "skiff-artifacts-test"');
    await expect(store.get('a', { digest: 'sha256:xyz' })).rejects.toThrow('invalid digest "sha256:xyz"');
    await expect(store.put('../etc', new Uint8Array())).rejects.toThrow('invalid artifact name "../etc"');
    await expect(store.put('', new Uint8Array())).rejects.toThrow('must not be empty');

    // an empty artifact is fine
    const empty = await store.put('empty', new Uint8Array());
    expect(empty).toMatchObject({ size: 0, digest: sha256Digest(new Uint8Array()) });
    expect((await store.get('empty', { digest: empty.digest })).bytes.length).toBe(0);
  });

  it('validates names and digests', () => {
    expect(artifactNameErrors('plugins/x.wasm')).toEqual([]);
    expect(artifactNameErrors('-x')).toHaveLength(1);
    expect(artifactNameErrors('a'.repeat(256))).toHaveLength(1);
    expect(isArtifactDigest(sha256Digest(new Uint8Array()))).toBe(true);
    expect(isArtifactDigest('sha256:ABC')).toBe(false);
    expect(isArtifactDigest(`sha256:${'A'.repeat(64)}`)).toBe(false);
  });
});
