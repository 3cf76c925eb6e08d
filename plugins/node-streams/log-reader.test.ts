import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixedNanoTime, parseCriRecord, parseTimeNs, recordTag } from './cri-log.ts';
import { Output, readCriLog, tailOffset, type LogReadControl, type LogReadOptions } from './log-reader.ts';

const dir = mkdtempSync(join(tmpdir(), 'skiff-log-reader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (content: string) => {
  const p = join(dir, `${n++}.log`);
  writeFileSync(p, content);
  return p;
};
const read = async (path: string, opts: LogReadOptions = {}, ctl: LogReadControl = {}) => {
  const chunks: Buffer[] = [];
  await readCriLog(path, opts, async (c) => void chunks.push(c), ctl);
  return Buffer.concat(chunks).toString();
};

// containerd's own output: fractions of varying length, a local offset now and then
const LOG = [
  '2024-05-01T10:00:00.1Z stdout F one',
  '2024-05-01T10:00:01.123456789Z stderr F two',
  '2024-05-01T10:00:02Z stdout P thr',
  '2024-05-01T12:00:02.5+02:00 stdout P e',
  '2024-05-01T10:00:02.6Z stdout F e!',
  '2024-05-01T10:00:03.000001Z stdout F ',
  '2024-05-01T10:00:04.99Z stdout F:x five',
  'not a record at all',
  '2024-05-01T10:00:05Z stdout F six',
].join('\n') + '\n';

describe('CRI log records', () => {
  it('parses time, stream, tag and text', () => {
    expect(parseCriRecord(Buffer.from('2024-05-01T10:00:00.1Z stdout F one two'))).toMatchObject({ time: '2024-05-01T10:00:00.1Z', stream: 'stdout', partial: false });
    expect(parseCriRecord(Buffer.from('2024-05-01T10:00:00.1Z stdout F one two'))!.text.toString()).toBe('one two');
    expect(parseCriRecord(Buffer.from('2024-05-01T10:00:00Z stderr P x'))).toMatchObject({ stream: 'stderr', partial: true });
    expect(parseCriRecord(Buffer.from('2024-05-01T10:00:00Z stdout F'))!.text.length).toBe(0);
    expect(parseCriRecord(Buffer.from('2024-05-01T10:00:00Z stdin F x'))).toBeUndefined();
    expect(parseCriRecord(Buffer.from('yesterday stdout F x'))).toBeUndefined();
    expect(recordTag(Buffer.from('t stdout P x'))).toBe('P');
    expect(recordTag(Buffer.from('t stdout F:extra x'))).toBe('F');
    expect(recordTag(Buffer.from('t stdout Fx x'))).toBeUndefined();
  });

  it('times to nanoseconds and to kubelet\'s fixed nine digits', () => {
    expect(parseTimeNs('1970-01-01T00:00:01.5Z')).toBe(1_500_000_000n);
    expect(parseTimeNs('1970-01-01T01:00:00.000000001+01:00')).toBe(1n);
    expect(parseTimeNs('soon')).toBeUndefined();
    expect(fixedNanoTime('2024-05-01T10:00:00.1Z')).toBe('2024-05-01T10:00:00.100000000Z');
    expect(fixedNanoTime('2024-05-01T10:00:00+02:00')).toBe('2024-05-01T10:00:00.000000000+02:00');
    expect(fixedNanoTime('2024-05-01T10:00:00.5+00:00')).toBe('2024-05-01T10:00:00.500000000Z');
  });
});

describe('readCriLog', () => {
  const p = file(LOG);

  it('joins partial records, keeps empty lines, skips what is not a record', async () => {
    expect(await read(p)).toBe('one\ntwo\nthree!\n\nfive\nsix\n');
  });

  it('tailLines counts lines (partial records are one line with their end)', async () => {
    expect(await read(p, { tailLines: 1 })).toBe('six\n');
    expect(await read(p, { tailLines: 3 })).toBe('\nfive\nsix\n');
    expect(await read(p, { tailLines: 4 })).toBe('three!\n\nfive\nsix\n');
    expect(await read(p, { tailLines: 100 })).toBe('one\ntwo\nthree!\n\nfive\nsix\n');
    expect(await read(p, { tailLines: 0 })).toBe('');
  });

  it('tail finds lines across read blocks, and ignores a record still being written', async () => {
    const long = 'x'.repeat(100_000);
    const q = file(`2024-05-01T10:00:00Z stdout F a\n2024-05-01T10:00:00Z stdout F ${long}\n2024-05-01T10:00:00Z stdout F b\n2024-05-01T10:00:00Z stdout F unfini`);
    const fh = await open(q);
    try {
      const size = (await fh.stat()).size;
      expect(await tailOffset(fh, size, 1)).toBe(size - '2024-05-01T10:00:00Z stdout F b\n2024-05-01T10:00:00Z stdout F unfini'.length);
      expect(await tailOffset(fh, size, 2)).toBe('2024-05-01T10:00:00Z stdout F a\n'.length);
      expect(await tailOffset(fh, size, 3)).toBe(0);
    } finally {
      await fh.close();
    }
    // the unfinished record is written out as the kubelet does at the end of the file
    expect(await read(q, { tailLines: 2 })).toBe(`${long}\nb\nunfini`);
    // a trailing run of partial records is the last line
    const r = file('t0Z stdout F a\n2024-05-01T10:00:00Z stdout F b\n2024-05-01T10:00:00Z stdout P c\n2024-05-01T10:00:00Z stdout P d\n');
    expect(await read(r, { tailLines: 1 })).toBe('cd');
    expect(await read(r, { tailLines: 2 })).toBe('b\ncd');
  });

  it('since skips lines by the time of their first record; timestamps prefix each line once', async () => {
    expect(await read(p, { sinceNs: parseTimeNs('2024-05-01T10:00:02Z') })).toBe('three!\n\nfive\nsix\n');
    expect(await read(p, { sinceNs: parseTimeNs('2024-05-01T10:00:02.1Z') })).toBe('\nfive\nsix\n');
    expect(await read(p, { timestamps: true, tailLines: 4 })).toBe(
      '2024-05-01T10:00:02.000000000Z three!\n2024-05-01T10:00:03.000001000Z \n2024-05-01T10:00:04.990000000Z five\n2024-05-01T10:00:05.000000000Z six\n',
    );
  });

  it('limitBytes cuts the output (timestamps included)', async () => {
    expect(await read(p, { limitBytes: 6 })).toBe('one\ntw');
    expect(await read(p, { limitBytes: 35, timestamps: true })).toBe('2024-05-01T10:00:00.100000000Z one\n');
  });

  it('keeps what it gathered when the reader reuses its buffer before a flush (a log growing between reads)', async () => {
    const got: string[] = [];
    const out = new Output(async (c) => void got.push(c.toString()), undefined);
    const buf = Buffer.from('tick 1\n');
    out.put(buf);
    buf.write('tick 3\n'); // the next read lands in the same buffer
    out.put(buf);
    await out.flush();
    expect(got).toEqual(['tick 1\ntick 3\n']);
  });

  it('a missing file is an empty log', async () => {
    expect(await read(join(dir, 'absent.log'))).toBe('');
  });

  it('follow: what reaches the rotated file after the read that found its end is read before the new file', async () => {
    const f = join(dir, 'rotate-late.log');
    writeFileSync(f, '2024-05-01T10:00:00Z stdout F first\n');
    let running = true;
    let out = '';
    // the sink holds the reader after it found the end of the file and before it looks at the path
    let release!: () => void;
    let held: Promise<void> | undefined = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const atSink = new Promise<void>((r) => (reached = r));
    const done = readCriLog(f, { follow: true }, async (c) => {
      out += c;
      reached();
      await held;
      held = undefined;
    }, { running: async () => running, stateCheckMs: 20, pollMs: 50 });
    await atSink;
    renameSync(f, `${f}.1`);
    appendFileSync(`${f}.1`, '2024-05-01T10:00:01Z stdout F late in the old file\n');
    writeFileSync(f, '2024-05-01T10:00:02Z stdout F in the new file\n');
    release();
    for (let i = 0; i < 200 && !out.includes('in the new file'); i++) await new Promise((r) => setTimeout(r, 10));
    running = false;
    await done;
    expect(out).toBe('first\nlate in the old file\nin the new file\n');
  });

  it('follow: new records as they come, a rotated file, the end once the container stops', async () => {
    const f = join(dir, 'follow.log');
    writeFileSync(f, '2024-05-01T10:00:00Z stdout F first\n');
    let running = true;
    let out = '';
    const done = readCriLog(f, { follow: true }, async (c) => void (out += c), { running: async () => running, stateCheckMs: 20, pollMs: 50 });
    const until = async (s: string) => {
      for (let i = 0; i < 200 && !out.includes(s); i++) await new Promise((r) => setTimeout(r, 10));
      expect(out).toContain(s);
    };
    await until('first\n');
    appendFileSync(f, '2024-05-01T10:00:01Z stdout P sec');
    await new Promise((r) => setTimeout(r, 100));
    appendFileSync(f, 'ond-part\n2024-05-01T10:00:01Z stdout F !\n'); // a record split across writes
    await until('second-part!\n');
    renameSync(f, `${f}.1`);
    appendFileSync(`${f}.1`, '2024-05-01T10:00:02Z stdout F late in the old file\n');
    writeFileSync(f, '2024-05-01T10:00:03Z stdout F in the new file\n');
    await until('in the new file\n');
    appendFileSync(f, '2024-05-01T10:00:04Z stdout F last words\n');
    running = false;
    await done;
    expect(out).toBe('first\nsecond-part!\nlate in the old file\nin the new file\nlast words\n');
  });

  it('follow ends at once when aborted', async () => {
    const f = file('2024-05-01T10:00:00Z stdout F x\n');
    const ac = new AbortController();
    const done = read(f, { follow: true }, { running: async () => true, signal: ac.signal, pollMs: 10_000 });
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    ac.abort();
    expect(await done).toBe('x\n');
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});
