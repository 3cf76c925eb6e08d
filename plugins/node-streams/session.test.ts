// The session layer over a real nats-server: opening (503 / 504 / the agent's Status), the credit
// window, ordering of CTRL after DATA, lost frames, silence.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { Msg, NatsConnection } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type EmbeddedNats } from '@skiff/kernel';
import { failure, type ControlMessage, type OpenReply } from './protocol.ts';
import { NodeStreamError, openSession, Session, type SessionHandlers, type SessionOptions } from './session.ts';

let dir: string;
let nats: EmbeddedNats;
let nc: NatsConnection;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-session-'));
  nats = await startNatsServer({ dataDir: dir });
  nc = await connect({ servers: nats.url, noAsyncTraces: true });
});
afterAll(async () => {
  await nc?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let subjectN = 0;

/** A peer answering opens on a subject: `serve` gets its session and the request. */
function peer(serve: (s: Session, req: Record<string, unknown>) => void, handlers: Partial<SessionHandlers> = {}, opts: SessionOptions = {}) {
  const subject = `test.session.${subjectN++}`;
  const sessions: Session[] = [];
  const sub = nc.subscribe(subject, {
    callback: (_e, msg: Msg) => {
      const req = msg.json<Record<string, unknown>>();
      const s = Session.create(nc, { onData: () => {}, ...handlers }, { ...opts, peer: String(req.inbox), sendWindow: Number(req.window) });
      sessions.push(s);
      msg.respond(JSON.stringify({ ok: { inbox: s.inbox, window: s.recvWindow } } satisfies OpenReply));
      serve(s, req);
    },
  });
  return { subject, sessions, stop: () => sub.unsubscribe() };
}

describe('node-streams sessions', () => {
  it('opening: 503 without an agent, 504 when it does not answer, its Status when it refuses', async () => {
    const none = await openSession(nc, 'test.session.nobody', {}, { onData: () => {} }, { nodeName: 'n1' }).catch((e: NodeStreamError) => e);
    expect(none).toBeInstanceOf(NodeStreamError);
    expect((none as NodeStreamError).status).toMatchObject({ code: 503, reason: 'ServiceUnavailable', message: 'node "n1" is not reachable: no agent of it is connected' });
    const silent = nc.subscribe('test.session.silent');
    const t0 = Date.now();
    const late = await openSession(nc, 'test.session.silent', {}, { onData: () => {} }, { openTimeoutMs: 300 }).catch((e: NodeStreamError) => e.status);
    expect(late).toMatchObject({ code: 504, reason: 'Timeout' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    silent.unsubscribe();
    const refusing = nc.subscribe('test.session.refuse', { callback: (_e, m) => void m.respond(JSON.stringify({ error: failure(400, 'BadRequest', 'no such thing') })) });
    expect(await openSession(nc, 'test.session.refuse', {}, { onData: () => {} }).catch((e: NodeStreamError) => e.status)).toMatchObject({ code: 400, message: 'no such thing' });
    refusing.unsubscribe();
  });

  it('a slow receiver gets every byte, in order, with never more than its window in flight', async () => {
    const total = 1_500_000;
    const data = Buffer.alloc(total);
    for (let i = 0; i < total; i++) data[i] = i % 251;
    const p = peer((s) => {
      void (async () => {
        for (let off = 0; off < total; off += 100_000) await s.sendData(1, data.subarray(off, off + 100_000));
        await s.endAfterData({});
      })();
    });
    const window = 64 * 1024;
    const got: Buffer[] = [];
    let maxInFlight = 0;
    // data may come before openSession has returned
    const holder: { session?: Session } = {};
    const session = await openSession(nc, p.subject, {}, {
      onData: async (_stream, d) => {
        got.push(Buffer.from(d));
        if (holder.session) maxInFlight = Math.max(maxInFlight, holder.session.stats.received - holder.session.stats.consumed);
        await sleep(1);
      },
    }, { recvWindow: window });
    holder.session = session;
    expect(await session.done).toEqual({});
    expect(Buffer.concat(got).equals(data)).toBe(true);
    expect(maxInFlight).toBeLessThanOrEqual(window);
    expect(p.sessions[0]!.stats.sent).toBe(total);
    expect(session.stats.consumed).toBe(total);
    p.stop();
  });

  it('CTRL comes after the DATA sent before it; END after everything', async () => {
    const seen: string[] = [];
    const p = peer(() => {}, {
      onData: (_s, d) => void seen.push(`data ${d.length}`),
      onControl: (m: ControlMessage) => void seen.push(`ctrl ${JSON.stringify(m)}`),
      onEnd: () => void seen.push('end'),
    });
    const session = await openSession(nc, p.subject, {}, { onData: () => {} }, { sendWindow: 1024 });
    for (let i = 0; i < 5; i++) void session.sendData(0, Buffer.alloc(1_000)); // waits for credit, more than once
    session.sendControl({ stdinClose: true });
    await session.endAfterData({});
    await p.sessions[0]!.done;
    expect(seen.filter((s) => s.startsWith('ctrl') || s === 'end')).toEqual(['ctrl {"stdinClose":true}', 'end']);
    expect(seen.filter((s) => s.startsWith('data')).length).toBeGreaterThan(1);
    expect(seen.indexOf('ctrl {"stdinClose":true}')).toBe(seen.length - 2);
    p.stop();
  });

  it('a lost frame ends the session with an error instead of a hole in the stream', async () => {
    const p = peer(() => {});
    const session = await openSession(nc, p.subject, {}, { onData: () => {} });
    const forged = new Uint8Array([1, 0, 0, 0, 9, 1, 65]); // DATA with sequence number 9
    nc.publish(session.inbox, forged);
    const end = await session.done;
    expect(end.error).toMatchObject({ code: 500, message: 'node stream: frames lost (expected 1, got 9)' });
    expect((await p.sessions[0]!.done).error?.message).toContain('frames lost');
    p.stop();
  });

  it('a silent peer is given up after the idle time; pings keep a quiet one alive', async () => {
    // the idle time is many ping periods, so a busy machine's late timers do not end a live session
    const p = peer(() => {}, {}, { pingMs: 100, idleMs: 2_000 });
    const quiet = await openSession(nc, p.subject, {}, { onData: () => {} }, { pingMs: 100, idleMs: 2_000 });
    await sleep(3_000); // both ping: nothing ends, though more than the idle time passed
    expect(quiet.isEnded).toBe(false);
    const t0 = Date.now();
    quiet.abandon(); // gone without a word
    const end = await p.sessions[0]!.done;
    expect(end.error).toMatchObject({ code: 504, reason: 'Timeout' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_500); // the idle time less the last ping's age (not at once)
    p.stop();
  });
});
