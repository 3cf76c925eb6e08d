// A container's CRI log file as `kubectl logs` shows it, the way the kubelet reads it
// (pkg/kubelet/kuberuntime/logs): the text of the records, partial records joined into their line,
// `tailLines` (counted in lines, not records), `since` (lines whose first record is older are
// skipped), `timestamps` (the record time, RFC3339NanoFixed, before each line), `limitBytes` (of
// output), and `follow`: after the end of the file, wait for more while the container runs; when
// the file is replaced at its path (log rotation: renamed, and the runtime reopens the path), go on
// in the new file once the old one is drained (read to its end after the new file appeared); once the container has stopped, read to the end
// once more and finish. The output goes to `sink` in chunks, awaited (back-pressure).
import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fixedNanoTime, parseCriRecord, parseTimeNs, recordTag } from './cri-log.ts';

export interface LogReadOptions {
  tailLines?: number;
  /** skip lines older than this (ns since the epoch) */
  sinceNs?: bigint;
  timestamps?: boolean;
  limitBytes?: number;
  follow?: boolean;
}

export interface LogReadControl {
  /** ends the read (the client went away) */
  signal?: AbortSignal;
  /** follow: whether the container still runs (asked at most every `stateCheckMs`) */
  running?: () => Promise<boolean>;
  stateCheckMs?: number;
  /** follow: how long to wait for a change before looking again anyway */
  pollMs?: number;
}

const READ = 64 * 1024;
const FLUSH_AT = 32 * 1024;
const NL = 0x0a;

/** Output with a byte limit, handed to the sink in chunks of up to FLUSH_AT bytes. */
/** What goes to the sink, gathered into chunks; the bytes are copied (the reader reuses its buffer). */
export class Output {
  private parts: Buffer[] = [];
  private size = 0;
  private left: number;
  constructor(
    private readonly sink: (chunk: Buffer) => Promise<void>,
    limit: number | undefined,
  ) {
    this.left = limit !== undefined && limit > 0 ? limit : Infinity;
  }
  get full(): boolean {
    return this.left <= 0;
  }
  put(b: Buffer): void {
    if (this.left <= 0 || b.length === 0) return;
    // a copy: `b` is a view of the reader's buffer, which the next read overwrites before a flush
    const piece = Buffer.from(b.length > this.left ? b.subarray(0, this.left) : b);
    this.left -= piece.length;
    this.parts.push(piece);
    this.size += piece.length;
  }
  async maybeFlush(): Promise<void> {
    if (this.size >= FLUSH_AT) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.size === 0) return;
    const chunk = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    await this.sink(chunk);
  }
}

/**
 * Where the last `n` lines start: scans records backwards from the end. A trailing record without
 * its newline (being written) is not counted; a trailing run of partial records is a line.
 */
export async function tailOffset(fh: FileHandle, size: number, n: number): Promise<number> {
  if (n <= 0) return size;
  // buf holds the file's bytes [bufStart, end)
  let bufStart = size;
  let end = size;
  let buf = Buffer.alloc(0);
  const more = async (): Promise<boolean> => {
    if (bufStart === 0) return false;
    const from = Math.max(0, bufStart - READ);
    const block = Buffer.alloc(bufStart - from);
    await readFully(fh, block, from);
    buf = Buffer.concat([block, buf]);
    bufStart = from;
    return true;
  };
  // a trailing fragment without its newline is not a record yet
  for (;;) {
    const i = buf.lastIndexOf(NL);
    if (i >= 0) {
      buf = buf.subarray(0, i + 1);
      end = bufStart + i + 1;
      break;
    }
    if (!(await more())) return 0;
  }
  // records backwards; buf ends with the newline of the record being looked at
  let count = 0;
  let last = true;
  for (;;) {
    const prev = buf.length >= 2 ? buf.lastIndexOf(NL, buf.length - 2) : -1;
    if (prev < 0 && bufStart > 0) {
      await more();
      continue;
    }
    const recStart = prev + 1;
    const tag = recordTag(buf.subarray(recStart, buf.length - 1));
    if (tag === 'F' || (last && tag === 'P')) {
      if (count === n) return end;
      count++;
    }
    last = false;
    if (bufStart + recStart === 0) return 0;
    end = bufStart + recStart;
    buf = buf.subarray(0, recStart);
  }
}

async function readFully(fh: FileHandle, into: Buffer, position: number): Promise<void> {
  let off = 0;
  while (off < into.length) {
    const { bytesRead } = await fh.read(into, off, into.length - off, position + off);
    if (bytesRead === 0) throw new Error('the log file shrank while being read');
    off += bytesRead;
  }
}

/** Reads the log at `path` per `opts` into `sink`; resolves when done (or aborted, or the limit is reached). */
export async function readCriLog(path: string, opts: LogReadOptions, sink: (chunk: Buffer) => Promise<void>, ctl: LogReadControl = {}): Promise<void> {
  const out = new Output(sink, opts.limitBytes);
  const signal = ctl.signal;
  const stateCheckMs = ctl.stateCheckMs ?? 1_000;
  const pollMs = ctl.pollMs ?? 1_000;
  let fh: FileHandle | undefined;
  /** the file now at the path, once the one read was rotated away: read after one more pass over that one */
  let rotated: FileHandle | undefined;
  let watcher: Watcher | undefined;
  try {
    fh = await openLog(path);
    if (!fh) {
      if (!opts.follow) return;
      // follow a container whose log does not exist yet: wait for it while the container runs
      watcher = new Watcher(path);
      while (!fh) {
        if (signal?.aborted || !(await (ctl.running?.() ?? Promise.resolve(false)))) return;
        await watcher.wait(Math.min(pollMs, 250), signal);
        fh = await openLog(path);
      }
    }
    let pos = 0;
    if (opts.tailLines !== undefined && opts.tailLines >= 0) pos = await tailOffset(fh, (await fh.stat()).size, opts.tailLines);
    const buf = Buffer.alloc(READ);
    let carry: Buffer = Buffer.alloc(0);
    let newLine = true;
    let skipping = false;
    let finalPass = false;
    let lastCheck = 0;
    let running = true;
    const emit = (rec: Buffer, terminated = true) => {
      const r = parseCriRecord(rec);
      if (!r) return; // not a CRI record: skipped, as the kubelet does
      if (newLine && opts.sinceNs !== undefined) {
        const t = parseTimeNs(r.time);
        skipping = t !== undefined && t < opts.sinceNs;
      }
      if (!skipping) {
        if (opts.timestamps && newLine) out.put(Buffer.from(`${fixedNanoTime(r.time)} `));
        out.put(r.text);
        if (!r.partial && terminated) out.put(Buffer.from('\n'));
      }
      newLine = !r.partial;
    };
    for (;;) {
      if (signal?.aborted || out.full) break;
      const { bytesRead } = await fh.read(buf, 0, READ, pos);
      if (bytesRead > 0) {
        pos += bytesRead;
        let data = carry.length ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
        let start = 0;
        for (let nl = data.indexOf(NL); nl >= 0; nl = data.indexOf(NL, start)) {
          emit(data.subarray(start, nl));
          start = nl + 1;
          if (out.full) break;
        }
        carry = Buffer.from(data.subarray(start));
        data = Buffer.alloc(0);
        await out.maybeFlush();
        continue;
      }
      // the end of the file, for now
      if (!opts.follow) {
        if (carry.length) emit(carry, false); // an unfinished last record, as the kubelet writes it: without a newline
        break;
      }
      await out.flush();
      if (finalPass) break;
      // the pass over the rotated file after the new one appeared is done: on to the new one
      if (rotated) {
        await fh.close();
        fh = rotated;
        rotated = undefined;
        pos = 0;
        carry = Buffer.alloc(0);
        continue;
      }
      // rotated: the path names another file now. What was written to this one before the new file
      // appeared may have come after the read that found its end (the runtime writes on until it
      // reopens the path): read it to its end once more first
      const now = await stat(path).catch(() => undefined);
      const mine = await fh.stat();
      if (now && (now.ino !== mine.ino || now.dev !== mine.dev)) {
        rotated = await openLog(path);
        if (rotated) continue;
      }
      if (Date.now() - lastCheck >= stateCheckMs) {
        lastCheck = Date.now();
        running = await (ctl.running?.() ?? Promise.resolve(false));
      }
      if (!running) {
        finalPass = true; // what was written before it stopped
        continue;
      }
      watcher ??= new Watcher(path);
      await watcher.wait(pollMs, signal);
    }
    await out.flush();
  } finally {
    watcher?.close();
    await fh?.close().catch(() => {});
    await rotated?.close().catch(() => {});
  }
}

async function openLog(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Wakes a follower when anything changes in the log's directory (inotify), or after a timeout. */
class Watcher {
  private w: FSWatcher | undefined;
  private wake: (() => void) | undefined;
  private changed = false;
  constructor(path: string) {
    try {
      this.w = watch(dirname(path), { persistent: false }, () => {
        this.changed = true;
        this.wake?.();
      });
      this.w.on('error', () => this.close());
    } catch {
      this.w = undefined; // no inotify: the timeout alone
    }
  }
  async wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.changed) {
      this.changed = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wake = done;
      signal?.addEventListener('abort', done, { once: true });
    });
    this.changed = false;
  }
  close(): void {
    this.w?.close();
    this.w = undefined;
    this.wake?.();
  }
}
