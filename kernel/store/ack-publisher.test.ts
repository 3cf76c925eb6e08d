import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { headers, type NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager, JetStreamApiError, JetStreamApiCodes } from '@nats-io/jetstream';
import { AckPublisher } from './ack-publisher.ts';
import { startNatsServer, type EmbeddedNats } from './nats-server.ts';

let dir: string;
let nats: EmbeddedNats;
let nc: NatsConnection;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-ack-'));
  nats = await startNatsServer({ dataDir: dir });
  nc = await connect({ servers: nats.url, noAsyncTraces: true });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'ACKTEST', subjects: ['acktest.>'] });
});

afterAll(async () => {
  await nc.close();
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
});

const expectSeq = (n: number) => {
  const h = headers();
  h.set('Nats-Expected-Last-Subject-Sequence', String(n));
  return h;
};

describe('AckPublisher', () => {
  it('returns the stream sequence of each write, many at once', async () => {
    const p = new AckPublisher(nc);
    const acks = await Promise.all(Array.from({ length: 500 }, (_, i) => p.publish(`acktest.k${i}`, new TextEncoder().encode(String(i)), expectSeq(0))));
    expect(acks.every((a) => a.stream === 'ACKTEST')).toBe(true);
    const seqs = acks.map((a) => a.seq);
    expect(new Set(seqs).size).toBe(500);
    expect(Math.max(...seqs) - Math.min(...seqs)).toBe(499);
    p.close();
  });

  it('rejects a write whose expected sequence is stale with the JetStream error code', async () => {
    const p = new AckPublisher(nc);
    const first = await p.publish('acktest.cas', new Uint8Array([1]), expectSeq(0));
    const err = await p.publish('acktest.cas', new Uint8Array([2]), expectSeq(first.seq - 1)).catch((e) => e);
    expect(err).toBeInstanceOf(JetStreamApiError);
    expect((err as JetStreamApiError).code).toBe(JetStreamApiCodes.StreamWrongLastSequence);
    const next = await p.publish('acktest.cas', new Uint8Array([3]), expectSeq(first.seq));
    expect(next.seq).toBeGreaterThan(first.seq);
    p.close();
  });

  it('says so when no stream takes the subject', async () => {
    const p = new AckPublisher(nc);
    await expect(p.publish('nostream.x', new Uint8Array(), headers())).rejects.toThrow(/no JetStream stream responded/);
    p.close();
  });

  it('times out a write nobody answers, and fails writes after close', async () => {
    const sub = nc.subscribe('silent.x'); // a responder that never replies
    const p = new AckPublisher(nc, 300);
    const t = Date.now();
    await expect(p.publish('silent.x', new Uint8Array(), headers())).rejects.toThrow(/no JetStream ack .* within 300 ms/);
    expect(Date.now() - t).toBeLessThan(2_500);
    p.close();
    await expect(p.publish('acktest.after', new Uint8Array(), headers())).rejects.toThrow(/closed/);
    sub.unsubscribe();
  });
});
