import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { atomicWrite, cleanPayload, currentVersion, DATA_DIR_NAME, validatePayloadPath, type Payload } from './atomic-writer.ts';

const p = (files: Record<string, string | [string, number]>): Payload =>
  new Map(Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? { data: Buffer.from(v), mode: 0o644 } : { data: Buffer.from(v[0]), mode: v[1] }]));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const visible = () => readdirSync(dir).filter((n) => !n.startsWith('..')).sort();
const tsDirs = () => readdirSync(dir).filter((n) => n.startsWith('..') && n !== DATA_DIR_NAME);

describe('atomicWrite', () => {
  it('validates paths like kubelet', () => {
    expect(() => validatePayloadPath('')).toThrow('must not be empty');
    expect(() => validatePayloadPath('/abs')).toThrow('invalid path: must be relative path: /abs');
    expect(() => validatePayloadPath('a/../b')).toThrow("invalid path: must not contain '..': a/../b");
    expect(() => validatePayloadPath('..data')).toThrow("invalid path: must not start with '..': ..data");
    expect(() => validatePayloadPath('x'.repeat(256))).toThrow('filenames must be less than or equal to 255 characters');
    expect(() => validatePayloadPath('a/'.repeat(2100))).toThrow('must be less than or equal to 4096 characters');
    expect(() => validatePayloadPath('..')).toThrow("must not contain '..'");
    validatePayloadPath('.hidden');
    validatePayloadPath('a/b/c');
    expect([...cleanPayload(p({ './a//b/': 'x' })).keys()]).toEqual(['a/b']);
  });

  it('writes a timestamped dir, ..data and user-visible symlinks; modes applied', async () => {
    const wrote = await atomicWrite(dir, p({ 'app.conf': 'x=1', 'sub/dir/key': ['k', 0o400], run: ['#!/bin/sh', 0o755] }), { now: () => new Date(Date.UTC(2024, 4, 1, 10, 2, 3)) });
    expect(wrote).toBe(true);
    const ts = readlinkSync(join(dir, DATA_DIR_NAME));
    expect(ts).toMatch(/^\.\.2024_05_01_10_02_03\.\w+$/);
    expect(statSync(join(dir, ts)).mode & 0o777).toBe(0o755);
    expect(visible()).toEqual(['app.conf', 'run', 'sub']);
    expect(readlinkSync(join(dir, 'app.conf'))).toBe('..data/app.conf');
    expect(readlinkSync(join(dir, 'sub'))).toBe('..data/sub');
    expect(lstatSync(join(dir, 'app.conf')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'sub/dir/key'), 'utf8')).toBe('k');
    expect(statSync(join(dir, 'sub/dir/key')).mode & 0o7777).toBe(0o400);
    expect(statSync(join(dir, 'run')).mode & 0o7777).toBe(0o755);
    expect(statSync(join(dir, 'app.conf')).mode & 0o7777).toBe(0o644);
    expect(await currentVersion(dir)).toBe(ts);
  });

  it('does nothing when nothing changed; a content, mode or path change makes a new version and drops the old', async () => {
    await atomicWrite(dir, p({ a: '1', b: '2' }));
    const v1 = await currentVersion(dir);
    expect(await atomicWrite(dir, p({ a: '1', b: '2' }))).toBe(false);
    expect(await currentVersion(dir)).toBe(v1);

    expect(await atomicWrite(dir, p({ a: '1', b: ['2', 0o600] }))).toBe(true);
    const v2 = await currentVersion(dir);
    expect(v2).not.toBe(v1);
    expect(tsDirs()).toEqual([v2]);

    // a removed key disappears from the volume; an added one appears
    expect(await atomicWrite(dir, p({ a: 'one', c: '3' }))).toBe(true);
    expect(visible()).toEqual(['a', 'c']);
    expect(readFileSync(join(dir, 'a'), 'utf8')).toBe('one');
    expect(tsDirs()).toHaveLength(1);

    // a removed nested file goes too, though its top-level directory stays
    await atomicWrite(dir, p({ 'd/x': 'x', 'd/y': 'y' }));
    expect(await atomicWrite(dir, p({ 'd/x': 'x' }))).toBe(true);
    expect(readdirSync(join(dir, 'd'))).toEqual(['x']);

    // an empty payload empties the volume
    await atomicWrite(dir, new Map());
    expect(visible()).toEqual([]);
  });

  it('leaves the previous version intact when a write fails', async () => {
    await atomicWrite(dir, p({ a: '1' }));
    const v1 = await currentVersion(dir);
    await expect(atomicWrite(dir, p({ a: '2', '../escape': 'x' }))).rejects.toThrow("must not contain '..'");
    expect(await currentVersion(dir)).toBe(v1);
    expect(readFileSync(join(dir, 'a'), 'utf8')).toBe('1');
    expect(tsDirs()).toEqual([v1]);
  });

  it('a concurrent reader never sees a half-written or mixed file, nor a missing one', async () => {
    // two keys whose contents are large and tagged with the version; the reader (another thread,
    // synchronous reads) checks every read is one whole version
    const size = 256 * 1024;
    const payload = (v: number) => p({ big: String(v % 10).repeat(size), 'nested/big': String(v % 10).repeat(size) });
    await atomicWrite(dir, payload(0));
    const stop = new SharedArrayBuffer(4);
    const worker = new Worker(
      `
      const { parentPort, workerData } = require('node:worker_threads');
      const { readFileSync } = require('node:fs');
      const { join } = require('node:path');
      const flag = new Int32Array(workerData.stop);
      let reads = 0, missing = 0;
      const bad = [];
      while (Atomics.load(flag, 0) === 0) {
        for (const f of ['big', 'nested/big']) {
          let s;
          try { s = readFileSync(join(workerData.dir, f), 'latin1'); } catch (e) { missing++; continue; }
          reads++;
          if (s.length !== workerData.size || s !== s[0].repeat(s.length)) bad.push(f + ':' + s.length + ':' + s.slice(0, 3));
        }
      }
      parentPort.postMessage({ reads, bad: bad.slice(0, 5), missing });
      `,
      { eval: true, workerData: { dir, size, stop } },
    );
    const result = new Promise<{ reads: number; bad: string[]; missing: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    let versions = 0;
    const until = Date.now() + 1500;
    for (let v = 1; Date.now() < until; v++) {
      await atomicWrite(dir, payload(v));
      versions++;
    }
    Atomics.store(new Int32Array(stop), 0, 1);
    const { reads, bad, missing } = await result;
    await worker.terminate();
    console.info(`atomic writer under a concurrent reader: ${versions} versions written, ${reads} whole reads, ${missing} missing`);
    expect(bad).toEqual([]);
    expect(missing).toBe(0);
    expect(reads).toBeGreaterThan(10);
    expect(tsDirs()).toHaveLength(1);
    expect(versions).toBeGreaterThan(5);
  });
});
