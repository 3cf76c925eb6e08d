import { createServer, connect, type Socket } from 'node:net';
import { constants, createDeflate, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeHeaderBlock, encodeHeaderBlock, SPDY_DICTIONARY, SpdyConnection, type SpdyStream } from './spdy.ts';

async function socketPair(): Promise<[Socket, Socket]> {
  return new Promise((resolve) => {
    const server = createServer((s) => {
      server.close();
      resolve([client, s]);
    });
    let client: Socket;
    server.listen(0, '127.0.0.1', () => {
      client = connect((server.address() as { port: number }).port, '127.0.0.1');
    });
  });
}

const next = <T>(emitter: { once(ev: string, f: (v: T) => void): unknown }, ev: string) => new Promise<T>((r) => emitter.once(ev, r));

describe('SPDY/3.1', () => {
  it('has the SPDY/3 dictionary (1423 bytes, adler32 0xe3c6a7c2, what zlib streams name it by)', () => {
    expect(SPDY_DICTIONARY.length).toBe(1423);
    let a = 1;
    let b = 0;
    for (const c of SPDY_DICTIONARY) {
      a = (a + c) % 65521;
      b = (b + a) % 65521;
    }
    expect(((b << 16) | a) >>> 0).toBe(0xe3c6a7c2);
  });

  it('header blocks: names lower-cased, several values joined by NUL', () => {
    const block = encodeHeaderBlock({ StreamType: 'stdout', multi: ['a', 'b'] });
    expect(decodeHeaderBlock(block)).toEqual({ streamtype: ['stdout'], multi: ['a', 'b'] });
  });

  it('streams between a client and a server: SYN_STREAM, SYN_REPLY, DATA both ways, FIN, RST', async () => {
    const [a, b] = await socketPair();
    const client = new SpdyConnection(a, 'client');
    const server = new SpdyConnection(b, 'server');
    const incoming: SpdyStream[] = [];
    server.on('stream', (s) => {
      incoming.push(s);
      s.reply({ ok: 'yes' });
      s.on('data', (d: Buffer) => s.write(Buffer.from(d.toString().toUpperCase())));
      s.on('end', () => s.end());
    });
    const streams = ['error', 'stdin', 'stdout'].map((t) => client.createStream({ streamType: t }));
    expect(streams.map((s) => s.id)).toEqual([1, 3, 5]);
    const reply = await next<Record<string, string[]>>(streams[2]!, 'reply');
    expect(reply).toEqual({ ok: ['yes'] });
    expect(incoming.map((s) => s.header('streamtype'))).toEqual(['error', 'stdin', 'stdout']);
    let echoed = '';
    streams[1]!.on('data', (d: Buffer) => (echoed += d));
    const big = 'x'.repeat(100_000); // several DATA frames
    streams[1]!.write(Buffer.from(`hello ${big}`));
    streams[1]!.end();
    await next(streams[1]!, 'end');
    expect(echoed).toBe(`HELLO ${big.toUpperCase()}`);
    const resets: number[] = [];
    incoming[0]!.on('reset', (code: number) => resets.push(code));
    streams[0]!.reset();
    await new Promise((r) => setTimeout(r, 50));
    expect(resets).toEqual([5]);
    const closed = Promise.all([next(server, 'close'), next(client, 'close')]);
    client.close();
    await closed;
    expect(streams[2]!.remoteEnded).toBe(true); // the connection going ends every stream
  });

  it('answers the peer\'s PING', async () => {
    const [a, b] = await socketPair();
    const server = new SpdyConnection(b, 'server');
    const ping = Buffer.from([0x80, 3, 0, 6, 0, 0, 0, 4, 0, 0, 0, 7]); // id 7: a client's
    const echo = new Promise<Buffer>((r) => a.once('data', r));
    a.write(ping);
    expect(await echo).toEqual(ping);
    server.destroy();
    a.destroy();
  });

  it('reads header blocks compressed as Go compresses them: one zlib stream with the dictionary, sync-flushed per frame', async () => {
    const [a, b] = await socketPair();
    const server = new SpdyConnection(b, 'server');
    const got: string[] = [];
    server.on('stream', (s) => got.push(`${s.id}:${s.header('streamtype')}`));
    const deflate = createDeflate({ dictionary: SPDY_DICTIONARY, level: 9 });
    const compress = (raw: Buffer) =>
      new Promise<Buffer>((resolve) => {
        const parts: Buffer[] = [];
        const onData = (d: Buffer) => parts.push(d);
        deflate.on('data', onData);
        deflate.write(raw);
        deflate.flush(constants.Z_SYNC_FLUSH, () => {
          deflate.off('data', onData);
          resolve(Buffer.concat(parts));
        });
      });
    for (const [id, type] of [[1, 'error'], [3, 'stdout']] as const) {
      const block = await compress(encodeHeaderBlock({ streamtype: type }));
      const payload = Buffer.concat([Buffer.from([0, 0, 0, id, 0, 0, 0, 0, 0, 0]), block]);
      const hdr = Buffer.from([0x80, 3, 0, 1, 0, 0, 0, 0]);
      hdr.writeUIntBE(payload.length, 5, 3);
      a.write(Buffer.concat([hdr, payload]));
    }
    for (let i = 0; i < 50 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual(['1:error', '3:stdout']);
    server.destroy();
    a.destroy();
  });

  it('writes header blocks any zlib reader with the dictionary reads, frame after frame', async () => {
    const [a, b] = await socketPair();
    const client = new SpdyConnection(a, 'client');
    const chunks: Buffer[] = [];
    b.on('data', (d: Buffer) => chunks.push(d));
    client.createStream({ streamtype: 'error' });
    client.createStream({ streamtype: 'stdin' });
    await new Promise((r) => setTimeout(r, 50));
    const all = Buffer.concat(chunks);
    const blocks: Buffer[] = [];
    for (let off = 0; off < all.length; ) {
      const len = all.readUIntBE(off + 5, 3);
      blocks.push(all.subarray(off + 8 + 10, off + 8 + len));
      off += 8 + len;
    }
    const inflated = inflateSync(Buffer.concat(blocks), { dictionary: SPDY_DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH });
    const first = encodeHeaderBlock({ streamtype: 'error' });
    expect(decodeHeaderBlock(inflated.subarray(0, first.length))).toEqual({ streamtype: ['error'] });
    expect(decodeHeaderBlock(inflated.subarray(first.length))).toEqual({ streamtype: ['stdin'] });
    // every block ends with an empty stored block (a sync flush), so an inflater stops there
    for (const blk of blocks) expect([...blk.subarray(-5)]).toEqual([0, 0, 0, 0xff, 0xff]);
    client.destroy();
    b.destroy();
  });
});
